import assert from "node:assert/strict";
import { StatsAccumulator } from "./stats_accumulator.ts";
import { computeStats, type StatsOptions } from "./statistics.ts";
import type { ProbeOutcome } from "../model/probe.ts";

/** mulberry32: a small seeded PRNG, so every failure names a reproducible seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * One random history, driven the way the engine drives its slots: probes are
 * appended pending, then resolve in any order (mostly oldest first) as ok,
 * lost, late or error; lost ones may turn late, resolved ones gain
 * duplicates. RTTs repeat often (ties in percentiles and jitter), include 0
 * and -0, and arrivals sometimes step back (reordering, clock steps). After
 * every few changes the accumulator must equal computeStats exactly.
 */
function checkHistory(seed: number): number {
  const rand = prng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
  const options: StatsOptions | undefined = pick([
    undefined,
    {},
    { outageMinProbes: 1 },
    { outageMinProbes: 2 },
    { outageMinProbes: 5 },
  ]);
  const outcomes: ProbeOutcome[] = [];
  const acc = new StatsAccumulator(outcomes, options);
  const total = pick([0, 1, 2, 5, 20, 60, 300]);
  const rtts = [0, -0, 0.5, 1, 1.001, 2.25, 10, 10, 33.333, 250, 1e-7];
  const every = pick([1, 2, 7, 40]); // 40: many RTTs merged at once
  let clock = 1_700_000_000_000;
  let changes = 0;
  let checks = 0;
  const check = () => {
    assert.deepStrictEqual(
      acc.stats(),
      computeStats(outcomes, options),
      `seed ${seed} after ${changes} changes`,
    );
    checks++;
  };
  const resolve = (o: ProbeOutcome) => {
    const r = rand();
    if (r < 0.6) {
      o.status = "ok";
      const base = pick(rtts);
      o.rtt_ms = rand() < 0.02 ? null : rand() < 0.5
        ? base // keeps -0 a -0
        : base + Math.floor(rand() * 3);
      const step = pick([0, 0, 1, 5, 50, -3, -200]);
      clock += step;
      o.received_ms = rand() < 0.05
        ? null
        : rand() < 0.1
        ? o.sent_ms + (o.rtt_ms ?? 0)
        : clock;
    } else if (r < 0.8) o.status = "lost";
    else if (r < 0.9) {
      o.status = "late";
      o.rtt_ms = 2000;
      o.received_ms = clock;
    } else o.status = "error";
  };
  while (
    outcomes.length < total || outcomes.some((o) => o.status === "pending")
  ) {
    const r = rand();
    if (outcomes.length < total && r < 0.4) {
      clock += pick([0, 1, 1000]);
      outcomes.push({
        index: outcomes.length,
        status: "pending",
        rtt_ms: null,
        sent_ms: clock,
        received_ms: null,
        duplicates: 0,
      });
      // A new pending probe needs no observe(), as in the engine.
    } else {
      const pending = outcomes.filter((o) => o.status === "pending");
      const resolved = outcomes.filter((o) => o.status !== "pending");
      if (pending.length > 0 && (r < 0.85 || resolved.length === 0)) {
        // Mostly the oldest pending one, sometimes any.
        const o = rand() < 0.7 ? pending[0] : pick(pending);
        resolve(o);
        acc.observe(o);
      } else if (resolved.length > 0) {
        const o = pick(resolved);
        if (o.status === "lost" && rand() < 0.5) {
          o.status = "late";
          o.rtt_ms = 1500;
          o.received_ms = clock;
        } else o.duplicates += 1;
        acc.observe(o);
      } else continue;
    }
    if (++changes % every === 0) check();
  }
  check();
  assert.ok(acc.incremental, `seed ${seed}: fell back to computeStats`);
  return checks;
}

Deno.test("accumulator equals computeStats over random histories", () => {
  let checks = 0;
  for (let seed = 1; seed <= 3000; seed++) checks += checkHistory(seed);
  assert.ok(checks > 50_000, `only ${checks} comparisons`);
});

Deno.test("accumulator: empty, one pending, one probe", () => {
  const outcomes: ProbeOutcome[] = [];
  const acc = new StatsAccumulator(outcomes);
  assert.deepStrictEqual(acc.stats(), computeStats([]));
  const o: ProbeOutcome = {
    index: 0,
    status: "pending",
    rtt_ms: null,
    sent_ms: 5,
    received_ms: null,
    duplicates: 0,
  };
  outcomes.push(o);
  assert.deepStrictEqual(acc.stats(), computeStats(outcomes));
  Object.assign(o, { status: "ok", rtt_ms: 1.5, received_ms: 6.5 });
  acc.observe(o);
  assert.deepStrictEqual(acc.stats(), computeStats(outcomes));
  assert.equal(acc.stats().received, 1);
  assert.ok(acc.incremental);
});

Deno.test("accumulator: changes outside the contract fall back to computeStats", () => {
  const outcomes: ProbeOutcome[] = [0, 1, 2, 3].map((index) => ({
    index,
    status: "ok",
    rtt_ms: 10 + index,
    sent_ms: 1000 * index,
    received_ms: 1000 * index + 10 + index,
    duplicates: 0,
  }));
  const acc = new StatsAccumulator(outcomes);
  for (const o of outcomes) acc.observe(o);
  assert.deepStrictEqual(acc.stats(), computeStats(outcomes));
  // An "ok" turning lost, observed.
  outcomes[1].status = "lost";
  acc.observe(outcomes[1]);
  assert.deepStrictEqual(acc.stats(), computeStats(outcomes));
  assert.equal(acc.stats().received, 3);
  assert.equal(acc.incremental, false);

  // A tail outcome resolved without observe().
  const quiet: ProbeOutcome[] = [{
    index: 0,
    status: "pending",
    rtt_ms: null,
    sent_ms: 0,
    received_ms: null,
    duplicates: 0,
  }];
  const acc2 = new StatsAccumulator(quiet);
  quiet[0].status = "lost";
  assert.deepStrictEqual(acc2.stats(), computeStats(quiet));
  assert.equal(acc2.stats().lost, 1);
  assert.equal(acc2.incremental, false);
});
