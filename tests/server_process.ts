// The real server (server/main.ts) as a child process on a free loopback port
// with its KV file in a temp dir; for the cross-module and browser tests.

const ROOT = new URL("..", import.meta.url).pathname;

export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

export interface ServerProcess {
  base: string;
  child: Deno.ChildProcess;
  /** Resolves when the process has exited (after a kill). */
  exited: Promise<Deno.CommandStatus>;
  /** SIGTERM (or the given signal) and wait for the exit. */
  stop(signal?: Deno.Signal): Promise<void>;
}

/** Starts the server (with `configFile`, if given) and waits for its "listening" line. */
export async function startServer(
  dir: string,
  port = freePort(),
  configFile?: string,
): Promise<ServerProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-ffi",
      `--allow-read=${ROOT},${dir}`,
      `--allow-write=${dir}`,
      "--allow-net",
      "--allow-env",
      "--allow-sys=hostname",
      "server/main.ts",
      ...(configFile ? ["--config", configFile] : []),
    ],
    cwd: ROOT,
    env: { PORT: String(port), PLA_KV: `${dir}/pla.kv` },
    stdout: "piped",
    stderr: "null",
  }).spawn();
  // Read stdout until the listening line, then keep draining it.
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const deadline = Date.now() + 30_000;
  while (!text.includes('"listening"')) {
    if (Date.now() > deadline) throw new Error("server did not start");
    const { value, done } = await reader.read();
    if (done) throw new Error(`server exited before listening:\n${text}`);
    text += value;
  }
  (async () => {
    try {
      while (!(await reader.read()).done) { /* drain */ }
    } catch { /* killed */ }
  })();
  const exited = child.status;
  return {
    base: `http://127.0.0.1:${port}`,
    child,
    exited,
    async stop(signal: Deno.Signal = "SIGTERM") {
      try {
        child.kill(signal);
      } catch { /* already gone */ }
      await exited;
    },
  };
}
