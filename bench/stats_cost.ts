// Benchmark 7: the CPU cost of a target's live statistics once it holds
// 86,400 probes (a day at one per second), as the service pays it every
// second per target: one probe sent, one resolved, then the statistics.
// StatsAccumulator (what the engine uses) against computeStats over the whole
// history (what it did before). In process, no packets.
import assert from "node:assert/strict";
import { type BenchRow, num, ratio, verdict } from "./report.ts";
import { computeStats } from "../probe/statistics.ts";
import { StatsAccumulator } from "../probe/stats_accumulator.ts";
import type { ProbeOutcome } from "../model/probe.ts";

const BENCH = "7 Live stats";
const COUNT = 86_400;
const SECONDS = 300;
/** Goals: under 1 ms per target, under 5 ms (0.5 % of each second) for ten. */
const TARGET_US = 1000;
const TARGET_TEN_US = 5000;

/** A day of 1 s probes: ~1 % lost, RTTs 0.5–20 ms with µs precision. */
function dayOfProbes(
  outcomes: ProbeOutcome[],
  acc: StatsAccumulator,
  rand: () => number,
  count: number,
) {
  for (let k = 0; k < count; k++) step(outcomes, acc, rand);
}

/** One second of a live target: probe k resolves, probe k + 1 goes out. */
function step(
  outcomes: ProbeOutcome[],
  acc: StatsAccumulator,
  rand: () => number,
) {
  const k = outcomes.length;
  const sent = 1_700_000_000_000 + 1000 * k;
  outcomes.push({
    index: k,
    status: "pending",
    rtt_ms: null,
    sent_ms: sent,
    received_ms: null,
    duplicates: 0,
  });
  if (k === 0) return;
  const o = outcomes[k - 1];
  if (rand() < 0.01) o.status = "lost";
  else {
    const rtt = Math.round((0.5 + 19.5 * rand() ** 3) * 1000) / 1000;
    Object.assign(o, { status: "ok", rtt_ms: rtt, received_ms: sent + rtt });
  }
  acc.observe(o);
}

const median = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1];

export function statsCostBench(): Promise<BenchRow[]> {
  let seed = 20240601;
  const rand = () =>
    (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const outcomes: ProbeOutcome[] = [];
  const acc = new StatsAccumulator(outcomes);
  dayOfProbes(outcomes, acc, rand, COUNT);
  acc.stats();

  const incremental: number[] = [];
  const full: number[] = [];
  for (let s = 0; s < SECONDS; s++) {
    const t0 = performance.now();
    step(outcomes, acc, rand);
    const live = acc.stats();
    const t1 = performance.now();
    const reference = computeStats(outcomes);
    const t2 = performance.now();
    incremental.push((t1 - t0) * 1000);
    full.push((t2 - t1) * 1000);
    // Same figures, bit for bit, or the timing means nothing.
    assert.deepStrictEqual(live, reference);
  }
  const ours = median(incremental);
  const before = median(full);
  const row = (
    figure: string,
    o: number,
    p: number,
    goal: number,
  ): BenchRow => ({
    bench: BENCH,
    figure,
    ours: num(o, 0),
    peer: `computeStats ${num(p, 0)}`,
    ratio: ratio(o, p),
    target: `< ${goal}`,
    verdict: verdict(o < goal),
  });
  return Promise.resolve([
    row(
      `statistics of one ${COUNT}-probe target per 1 s update (one probe resolved), median µs over ${SECONDS} updates`,
      ours,
      before,
      TARGET_US,
    ),
    row(
      "the same for 10 such targets: event-loop time per second, µs",
      10 * ours,
      10 * before,
      TARGET_TEN_US,
    ),
  ]);
}

if (import.meta.main) {
  for (const r of await statsCostBench()) {
    console.log(`${r.figure}: ${r.ours} (before: ${r.peer})`);
  }
}
