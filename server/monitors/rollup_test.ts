// Rollups equal the raw steps they summarise: counts, loss, min, max and avg
// exactly; deciles within the histogram's error; jitter weighted by pairs.
import assert from "node:assert/strict";
import { computeStats } from "../../probe/statistics.ts";
import type { ProbeOutcome } from "../../model/probe.ts";
import { stepPoint } from "./step_point.ts";
import { rollup } from "./rollup.ts";
import {
  DECILES,
  exactQuantile,
  MAX_RELATIVE_ERROR,
} from "./monitor_histogram.ts";

function steps(n: number, probes: number): ProbeOutcome[][] {
  let seed = 7;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  return Array.from(
    { length: n },
    (_, s) =>
      Array.from({ length: probes }, (_, i) => {
        const x = rand();
        const status = x < 0.1 ? "lost" : x < 0.12 ? "late" : "ok";
        const rtt = status === "lost"
          ? null
          : Math.round((1 + 40 * rand() ** 2) * 1000) / 1000;
        const sent = s * 60_000 + i * 3000;
        return {
          index: i,
          status,
          rtt_ms: rtt,
          sent_ms: sent,
          received_ms: rtt === null ? null : sent + rtt,
          duplicates: rand() < 0.05 ? 1 : 0,
        } as ProbeOutcome;
      }),
  );
}

Deno.test("rollup of N step points equals the raw steps: counts, loss, min, max, avg exact", () => {
  const raw = steps(60, 20);
  const points = raw.map((o, i) =>
    stepPoint(computeStats(o), o, i * 60_000, 60)
  );
  const hour = rollup(points, 0, 3600);
  const all = raw.flat();
  const truth = computeStats(all.map((o, i) => ({ ...o, index: i })));
  assert.equal(hour.sent, truth.sent);
  assert.equal(hour.received, truth.received);
  assert.equal(hour.late, truth.late);
  assert.equal(hour.duplicates, truth.duplicates);
  assert.equal(hour.loss_pct, truth.loss_pct);
  assert.equal(hour.min_rtt_ms, truth.min_rtt_ms);
  assert.equal(hour.max_rtt_ms, truth.max_rtt_ms);
  // The steps' averages are rounded to 3 decimals; the weighted mean of them
  // is the raw mean to that rounding.
  assert.ok(Math.abs(hour.avg_rtt_ms! - truth.avg_rtt_ms!) <= 0.001);
  const rtts = all.filter((o) => o.status === "ok").map((o) => o.rtt_ms!)
    .sort((a, b) => a - b);
  DECILES.forEach((q, i) => {
    const exact = exactQuantile(rtts, q);
    assert.ok(
      Math.abs(hour.deciles_ms[i] - exact) / exact <= MAX_RELATIVE_ERROR + 1e-3,
      `p${q * 100}: ${hour.deciles_ms[i]} vs ${exact}`,
    );
  });
  const w = points.reduce((s, p) => s + p.jitter_ms! * p.jitter_pairs!, 0) /
    points.reduce((s, p) => s + p.jitter_pairs!, 0);
  assert.ok(Math.abs(hour.jitter_ms! - w) < 0.001);
  // A rollup of rollups (day from hours) keeps the counts exact.
  const day = rollup(
    [hour, rollup(points.slice(0, 10), 3_600_000, 3600)],
    0,
    86400,
  );
  assert.equal(day.sent, hour.sent + 200);
  assert.equal(day.hist.reduce((s, [, n]) => s + n, 0), day.received);
});

Deno.test("a step point of nothing answered has no RTT figures and 100 % loss", () => {
  const o: ProbeOutcome[] = [0, 1, 2].map((i) => ({
    index: i,
    status: "lost",
    rtt_ms: null,
    sent_ms: i,
    received_ms: null,
    duplicates: 0,
  }));
  const p = stepPoint(computeStats(o), o, 0, 1);
  assert.equal(p.loss_pct, 100);
  assert.deepEqual(p.deciles_ms, []);
  const r = rollup([p, p], 0, 2);
  assert.equal(r.sent, 6);
  assert.equal(r.avg_rtt_ms, null);
  assert.equal(r.loss_pct, 100);
});
