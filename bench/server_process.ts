// The service as a separate process for the benchmarks: testing/server_process.ts
// starts it (server/main.ts on a free loopback port, temporary KV file, a
// bench config); this adds its RSS and CPU from /proc.
export { postTest } from "../testing/server_process.ts";
import { runCommand } from "../testing/run_command.ts";
import {
  startServer as startChild,
  stopServer,
  waitForTestEnd,
} from "../testing/server_process.ts";

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
  const out = await runCommand("getconf", ["CLK_TCK"]);
  return ticks = Number(out.stdout.trim()) || 100;
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

/**
 * Starts server/main.ts with `configYaml`; resolves once it listens.
 * `prepare` may fill the KV file first (history written through the store).
 */
export async function startServer(
  configYaml: string,
  prepare?: (kvPath: string) => Promise<void>,
  /** More environment: PLA_DATABASE_URL for a PostgreSQL-backed service. */
  env?: Record<string, string>,
): Promise<ServerProcess> {
  const dir = await Deno.makeTempDir({ prefix: "pla-bench-" });
  const kvPath = `${dir}/pla.kv`;
  try {
    await prepare?.(kvPath);
    const child = await startChild({ dir, kvPath, config: configYaml, env });
    const pid = child.child.pid;
    return {
      base: child.base,
      pid,
      kvPath,
      rss: () => rssOf(pid),
      cpuSeconds: () => cpuOf(pid),
      async stop() {
        await stopServer(child);
        await Deno.remove(dir, { recursive: true }).catch(() => {});
      },
    };
  } catch (e) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw e;
  }
}

/** Polls the test every 0.5 s until it is no longer running; returns its final status. */
export async function waitForTest(
  base: string,
  id: string,
  timeoutMs: number,
  onPoll?: () => Promise<void>,
): Promise<string> {
  const meta = await waitForTestEnd(base, id, timeoutMs, {
    everyMs: 500,
    onPoll,
  });
  return meta.status as string;
}
