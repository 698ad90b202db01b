// Shared by the alert tests: step points, a monitor spec, a webhook receiver
// on loopback.
import {
  type AlertRule,
  alertRule,
  type MonitorPoint,
  type MonitorSpec,
  monitorSpec,
} from "../../model/monitor.ts";

export const T0 = Date.UTC(2026, 0, 1);

/** Step `i` of a 1 s monitor with the given figures; loss 100 % has no RTTs. */
export function point(
  i: number,
  f: {
    loss?: number;
    median?: number | null;
    jitter?: number | null;
    sent?: number;
    stepS?: number;
  },
): MonitorPoint {
  const sent = f.sent ?? 10;
  const loss = f.loss ?? 0;
  const received = Math.round(sent * (1 - loss / 100));
  const rtt = received === 0 ? null : (f.median === undefined ? 1 : f.median);
  return {
    t: T0 + i * (f.stepS ?? 1) * 1000,
    span_s: f.stepS ?? 1,
    sent,
    received,
    loss_pct: loss,
    late: 0,
    duplicates: 0,
    min_rtt_ms: rtt,
    median_rtt_ms: rtt,
    avg_rtt_ms: rtt,
    max_rtt_ms: rtt,
    deciles_ms: [],
    jitter_ms: received === 0
      ? null
      : (f.jitter === undefined ? 0.1 : f.jitter),
    hist: [],
  };
}

export const rule = (r: Record<string, unknown>): AlertRule =>
  alertRule.parse(r);

export const spec = (
  id: string,
  alerts: Record<string, unknown>[],
  stepS = 1,
): MonitorSpec =>
  monitorSpec.parse({ id, server: "gw", step_s: stepS, probes: 1, alerts });

export interface Hit {
  body: Record<string, unknown>;
  at: number;
}

/**
 * A webhook receiver on 127.0.0.1 (port 0). `answer(n)` gives the status of
 * the n-th request (1-based), or "hang" to never answer.
 */
export function receiver(answer: (n: number) => number | "hang" = () => 200) {
  const hits: Hit[] = [];
  const hung: (() => void)[] = [];
  let n = 0;
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (req) => {
      const body = await req.json();
      hits.push({ body, at: Date.now() });
      const a = answer(++n);
      if (a === "hang") {
        await new Promise<void>((r) => hung.push(r));
        return new Response("late", { status: 200 });
      }
      return new Response(a < 300 ? "ok" : "no", { status: a });
    },
  );
  const url = `http://127.0.0.1:${server.addr.port}/hook`;
  return {
    url,
    hits,
    async close() {
      for (const r of hung) r();
      await server.shutdown();
    },
  };
}

/** Waits until `ok()` or the deadline. */
export async function until(ok: () => boolean, ms = 5000, what = "condition") {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const tempDirs: string[] = [];
globalThis.addEventListener("unload", () => {
  for (const d of tempDirs) Deno.removeSync(d, { recursive: true });
});

/** A KV file in a temporary directory, removed when the test process ends. */
export async function tempKvPath(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "pla-alerts-" });
  tempDirs.push(dir);
  return `${dir}/kv.sqlite3`;
}
