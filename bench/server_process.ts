// The service as a separate process (server/main.ts) on a free loopback
// port with a temporary KV file and a bench config, and its RSS and CPU.

const REPO = decodeURIComponent(new URL("..", import.meta.url).pathname);

export interface ServerProcess {
  readonly base: string;
  readonly pid: number;
  readonly kvPath: string;
  /** Resident set size now, bytes. */
  rss(): Promise<number>;
  /** User + system CPU seconds so far. */
  cpuSeconds(): Promise<number>;
  /** SIGTERM, wait, remove the temporary files. */
  stop(): Promise<void>;
}

let ticks: number | undefined;
async function clockTicks(): Promise<number> {
  if (ticks) return ticks;
  const out = await new Deno.Command("getconf", { args: ["CLK_TCK"] })
    .output();
  return ticks = Number(new TextDecoder().decode(out.stdout).trim()) || 100;
}

export async function rssOf(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const kb = /^VmRSS:\s*(\d+) kB/m.exec(status);
  return kb ? Number(kb[1]) * 1024 : NaN;
}

export async function cpuOf(pid: number): Promise<number> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
  // Fields after the ")" of the command name: utime is the 12th, stime the 13th.
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) / await clockTicks();
}

/** Starts server/main.ts with `configYaml`; resolves once it listens. */
export async function startServer(configYaml: string): Promise<ServerProcess> {
  const dir = await Deno.makeTempDir({ prefix: "pla-bench-" });
  const configFile = `${dir}/config.yaml`;
  const kvPath = `${dir}/pla.kv`;
  await Deno.writeTextFile(configFile, configYaml);
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-ffi",
      "--allow-read",
      "--allow-write",
      "--allow-net",
      "--allow-env",
      "--allow-sys",
      `${REPO}server/main.ts`,
      "--config",
      configFile,
    ],
    cwd: REPO,
    env: { PORT: "0", PLA_KV: kvPath },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let resolvePort!: (port: number) => void;
  const listening = new Promise<number>((r) => resolvePort = r);
  let stderr = "";
  const drained = Promise.all([
    child.stdout.pipeThrough(new TextDecoderStream()).pipeTo(
      new WritableStream({
        write(chunk) {
          const m = /"msg":"listening","hostname":"[^"]*","port":(\d+)/.exec(
            chunk,
          );
          if (m) resolvePort(Number(m[1]));
        },
      }),
    ),
    child.stderr.pipeThrough(new TextDecoderStream()).pipeTo(
      new WritableStream({
        write(chunk) {
          if (stderr.length < 8192) stderr += chunk;
        },
      }),
    ),
  ]).catch(() => {});
  const exited = child.status.then((s) => {
    throw new Error(`server exited (${s.code}): ${stderr.trim()}`);
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const port = await Promise.race([
    listening,
    exited,
    new Promise<never>((_, rej) =>
      timer = setTimeout(() => rej(new Error("server did not start")), 30_000)
    ),
  ]).finally(() => clearTimeout(timer));
  exited.catch(() => {});
  return {
    base: `http://127.0.0.1:${port}`,
    pid: child.pid,
    kvPath,
    rss: () => rssOf(child.pid),
    cpuSeconds: () => cpuOf(child.pid),
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch {
        // already gone
      }
      await child.status;
      await drained;
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/** POSTs a test; returns its id. */
export async function startTest(
  base: string,
  body: Record<string, unknown>,
): Promise<string> {
  const res = await fetch(`${base}/api/tests`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const json = await res.json();
  if (res.status !== 201) {
    throw new Error(`POST /api/tests: ${res.status} ${JSON.stringify(json)}`);
  }
  return json.id;
}

/** Polls the test until it is no longer running; returns its final status. */
export async function waitForTest(
  base: string,
  id: string,
  timeoutMs: number,
  onPoll?: () => Promise<void>,
): Promise<string> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const meta = await (await fetch(`${base}/api/tests/${id}`)).json();
    if (meta.status !== "running") return meta.status;
    await onPoll?.();
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`test ${id} still running after ${timeoutMs} ms`);
}
