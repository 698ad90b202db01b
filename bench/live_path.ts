// Benchmark 3: from the kernel's receive timestamp of a reply to its SSE
// probe event reaching a client, with the service in its own process. The
// kernel RX time is the probe's sent_at + rtt_ms (both from kernel stamps,
// CLOCK_REALTIME); the client reads the same clock through libc.
import { median, quantile } from "./quantile.ts";
import { type BenchRow, num, verdict } from "./report.ts";
import { realtimeUs } from "./realtime_clock.ts";
import { readSse } from "../testing/sse.ts";
import { postTest, startServer } from "./server_process.ts";
import { Engine } from "../probe/engine.ts";

const BENCH = "3 Live path";
const COUNT = 1000;
const RUNS = 3;
const INTERVAL_MS = 10;

/** The bench's service config: one loopback server, no sign-in, `limits` as given. */
export const LOOPBACK_CONFIG = (limits = "") => `
servers:
  - { id: lo4, name: Loopback v4, host: 127.0.0.1 }
auth: { mode: open }
${limits}`;

/** The engine's share: kernel RX → onProbe in this process, same target and cadence. */
async function engineOnlyMs(): Promise<number[]> {
  const engine = Engine.create();
  const out: number[] = [];
  try {
    const run = await engine.run(
      [{ target: "lo4", host: "127.0.0.1" }],
      { interval_ms: INTERVAL_MS, count: COUNT, timeout_ms: 1000, size: 56 },
      {
        onProbe: (r) => {
          if (r.status !== "ok") return;
          out.push((realtimeUs() - (r.sent_at + r.rtt_ms!) * 1000) / 1000);
        },
      },
    );
    await run.done;
  } finally {
    await engine.close();
  }
  return out;
}

/** One test's probe events over SSE: kernel RX → client, ms, per reply. */
async function sseLatencies(base: string): Promise<number[]> {
  const out: number[] = [];
  const id = await postTest(base, {
    targets: ["lo4"],
    interval_ms: INTERVAL_MS,
    count: COUNT,
    timeout_ms: 1000,
  });
  let connectedUs = Infinity;
  await readSse(
    `${base}/api/tests/${id}/events`,
    (events) => {
      const now = realtimeUs();
      for (const ev of events) {
        if (ev.event !== "probe") continue;
        const p = JSON.parse(ev.data);
        if (p.status !== "ok") continue;
        const rxUs = p.sent_at * 1000 + p.rtt_ms * 1000;
        // Replayed events (sent before the client was connected) don't count.
        if (rxUs > connectedUs) out.push((now - rxUs) / 1000);
      }
    },
    () => connectedUs = realtimeUs(),
  );
  return out;
}

export async function livePathBench(): Promise<BenchRow[]> {
  // RUNS runs of each; the figures are the medians of the per-run figures.
  const engine: number[][] = [];
  const sse: number[][] = [];
  for (let i = 0; i < RUNS; i++) engine.push(await engineOnlyMs());
  const server = await startServer(LOOPBACK_CONFIG());
  try {
    for (let i = 0; i < RUNS; i++) sse.push(await sseLatencies(server.base));
  } finally {
    await server.stop();
  }
  const per = (runs: number[][], q: number) =>
    runs.map((r) => quantile(r, q) ?? NaN);
  const p50 = median(per(sse, 0.5));
  const p99s = per(sse, 0.99);
  const p99 = median(p99s);
  const n =
    `${RUNS} runs of ${COUNT} probes, loopback, ${INTERVAL_MS} ms interval`;
  return [
    {
      bench: BENCH,
      figure: `median kernel RX → SSE client, ms (${n}; median over runs)`,
      ours: num(p50, 2),
      peer: "—",
      ratio: "—",
      target: "—",
      verdict: "—",
    },
    {
      bench: BENCH,
      figure:
        "of which the engine alone (kernel RX → onProbe, in process): median / p99, ms",
      ours: `${num(median(per(engine, 0.5)), 2)} / ${
        num(median(per(engine, 0.99)), 2)
      }`,
      peer: "—",
      ratio: "—",
      target: "—",
      verdict: "—",
    },
    {
      bench: BENCH,
      figure: `p99 kernel RX → SSE client, ms (runs: ${
        p99s.map((x) => num(x, 2)).join(", ")
      })`,
      ours: num(p99, 2),
      peer: "—",
      ratio: "—",
      target: "< 5 ms",
      verdict: verdict(
        p99 !== null && p99 < 5,
        `${num((p99 ?? 0) - 5, 2)} ms over`,
      ),
    },
  ];
}
