// TEST-ONLY: a probe agent (agent/agent_cli.ts) as a child process, with the
// agent task's permissions, and a config fragment with an agent token.
import { taskPermissions } from "./deno_flags.ts";
import { ROOT, sleep } from "./server_process.ts";
import { newToken, sha256Hex } from "../server/auth/password.ts";

export interface AgentProcess {
  child: Deno.ChildProcess;
  exited: Promise<Deno.CommandStatus>;
  output(): string;
  /** Resolves once the output contains `text`; throws after `ms`. */
  waitFor(text: string, ms?: number): Promise<void>;
  stop(signal?: Deno.Signal): Promise<Deno.CommandStatus>;
}

export interface AgentProcessOptions {
  server: string;
  site: string;
  name: string;
  token?: string;
  /** Writable directory (the buffer directory, when `buffer` is set). */
  dir: string;
  buffer?: boolean;
  /** Wraps the command line, e.g. `ip netns exec NS`. */
  wrap?: (cmd: string[]) => string[];
  extra?: string[];
}

export function startAgent(o: AgentProcessOptions): AgentProcess {
  const cmd = [
    Deno.execPath(),
    "run",
    ...taskPermissions("agent", { write: [o.dir] }),
    "agent/agent_cli.ts",
    "--server",
    o.server,
    "--site",
    o.site,
    "--name",
    o.name,
    ...(o.token ? ["--token", o.token] : []),
    ...(o.buffer ? ["--buffer-dir", `${o.dir}/buffer`] : []),
    ...(o.extra ?? []),
  ];
  const [exe, ...args] = o.wrap ? o.wrap(cmd) : cmd;
  const child = new Deno.Command(exe, {
    args,
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  const drain = async (s: ReadableStream<Uint8Array>) => {
    const dec = new TextDecoder();
    try {
      for await (const c of s) text += dec.decode(c, { stream: true });
    } catch { /* killed */ }
  };
  const drained = Promise.all([drain(child.stdout), drain(child.stderr)]);
  const exited = child.status.then(async (s) => (await drained, s));
  let gone = false;
  exited.then(() => gone = true);
  return {
    child,
    exited,
    output: () => text,
    async waitFor(want: string, ms = 30_000) {
      const end = Date.now() + ms;
      while (!text.includes(want)) {
        if (gone) throw new Error(`agent exited:\n${text}`);
        if (Date.now() > end) {
          throw new Error(`agent: no "${want}" after ${ms} ms:\n${text}`);
        }
        await sleep(20);
      }
    },
    async stop(signal: Deno.Signal = "SIGTERM") {
      try {
        child.kill(signal);
      } catch { /* already gone */ }
      return await exited;
    },
  };
}

/** A fresh agent token and its auth.tokens line (flow style). */
export async function agentToken(
  name: string,
  site: string,
): Promise<{ token: string; line: string }> {
  const token = newToken();
  return {
    token,
    line:
      `{ name: ${name}, role: agent, site: ${site}, sha256: "${await sha256Hex(
        token,
      )}" }`,
  };
}
