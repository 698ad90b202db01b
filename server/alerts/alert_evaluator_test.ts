import assert from "node:assert/strict";
import {
  evaluate,
  initialState,
  type RuleState,
  type Transition,
} from "./alert_evaluator.ts";
import { point, rule, T0 } from "./alert_testkit.ts";
import type { AlertRule, MonitorPoint } from "../../model/monitor.ts";

/** Runs points through one rule; the transitions with the index of their step. */
function run(
  r: AlertRule,
  points: MonitorPoint[],
  stepS = 1,
  from = initialState(),
) {
  let s: RuleState = from;
  const out: (Transition & { i: number })[] = [];
  points.forEach((p, i) => {
    const res = evaluate(r, stepS, s, p);
    s = res.state;
    if (res.transition) out.push({ ...res.transition, i });
  });
  return { out, state: s };
}

const loss = rule({ name: "loss", loss_pct_above: 5, for_steps: 3 });
const seq = (losses: number[]) => losses.map((l, i) => point(i, { loss: l }));

Deno.test("evaluator: K bad steps fire once, since = start of the first bad step", () => {
  const { out, state } = run(loss, seq([0, 50, 50, 50, 50, 50, 50]));
  assert.equal(out.length, 1);
  assert.equal(out[0].state, "firing");
  assert.equal(out[0].i, 3);
  assert.equal(out[0].since, T0 + 1000);
  assert.equal(out[0].at, T0 + 4000);
  assert.equal(out[0].value, 50);
  assert.equal(out[0].threshold, 5);
  assert.equal(out[0].metric, "loss_pct");
  assert.equal(state.state, "firing");
});

Deno.test("evaluator: one bad step (or K-1) never fires", () => {
  assert.equal(
    run(loss, seq([0, 100, 0, 0, 100, 100, 0, 100, 0])).out.length,
    0,
  );
  // At the threshold is good: "above" means strictly above.
  assert.equal(run(loss, seq([5, 5, 5, 5])).out.length, 0);
});

Deno.test("evaluator: resolves only after K good steps, since = when it fired", () => {
  const { out } = run(loss, seq([50, 50, 50, 0, 0, 50, 0, 0, 0, 0]));
  assert.deepEqual(out.map((t) => [t.state, t.i]), [["firing", 2], ["ok", 8]]);
  assert.equal(out[1].since, out[0].at);
  assert.equal(out[1].value, 0);
  assert.equal(out[1].at, T0 + 9000);
});

Deno.test("evaluator: interleaved good and bad steps never flap", () => {
  const alternating = seq(Array.from({ length: 40 }, (_, i) => i % 2 ? 50 : 0));
  assert.equal(run(loss, alternating).out.length, 0);
  // Firing, then alternating: stays firing, no event.
  const firing = run(loss, seq([50, 50, 50])).state;
  const r = run(
    loss,
    alternating.map((p) => ({ ...p, t: p.t + 3000 })),
    1,
    firing,
  );
  assert.equal(r.out.length, 0);
  assert.equal(r.state.state, "firing");
});

Deno.test("evaluator: median RTT and jitter rules; null metric is no data", () => {
  const slow = rule({ name: "slow", median_rtt_ms_above: 50, for_steps: 2 });
  const rtt = (ms: (number | null)[]) =>
    ms.map((m, i) =>
      m === null ? point(i, { loss: 100 }) : point(i, { median: m })
    );
  assert.deepEqual(
    run(slow, rtt([10, 60, 70, 10, 20])).out.map((
      t,
    ) => [t.state, t.i, t.value, t.metric]),
    [["firing", 2, 70, "median_rtt_ms"], ["ok", 4, 20, "median_rtt_ms"]],
  );
  // A step without replies breaks the streak: bad, none, bad never fires.
  assert.equal(run(slow, rtt([60, null, 60, null, 60])).out.length, 0);
  // And never resolves a firing alert (the loss rule speaks for that).
  const r = run(slow, rtt([60, 60, null, null, null, null]));
  assert.deepEqual(r.out.map((t) => t.state), ["firing"]);
  assert.equal(r.state.state, "firing");

  const jit = rule({ name: "jit", jitter_ms_above: 5, for_steps: 2 });
  const j = (v: number[]) => v.map((x, i) => point(i, { jitter: x }));
  assert.deepEqual(
    run(jit, j([1, 9, 1, 9, 9, 1, 9, 1, 1])).out.map((
      t,
    ) => [t.state, t.i, t.value, t.metric]),
    [["firing", 4, 9, "jitter_ms"], ["ok", 8, 1, "jitter_ms"]],
  );
});

Deno.test("evaluator: loss step with sent = 0 is no data", () => {
  const pts = [
    point(0, { loss: 100 }),
    point(1, { sent: 0, loss: 0 }),
    point(2, { loss: 100 }),
    point(3, { loss: 100 }),
  ];
  assert.equal(run(loss, pts).out.length, 0);
  const down = rule({ name: "down", loss_pct_above: 99, for_steps: 1 });
  assert.equal(run(down, [point(0, { sent: 0, loss: 100 })]).out.length, 0);
});

Deno.test("evaluator: a gap restarts the streak, a firing alert stays firing across it", () => {
  // 2 bad, gap of 10 steps, 1 bad: no fire (streak restarted at the gap).
  const pts = [
    point(0, { loss: 50 }),
    point(1, { loss: 50 }),
    point(12, { loss: 50 }),
  ];
  assert.equal(run(loss, pts).out.length, 0);
  // ... then 2 more contiguous bad steps fire, since = first step after the gap.
  const more = [...pts, point(13, { loss: 50 }), point(14, { loss: 50 })];
  const r = run(loss, more);
  assert.deepEqual(r.out.map((t) => [t.state, t.i, t.since]), [[
    "firing",
    4,
    T0 + 12_000,
  ]]);
  // Firing, 2 good, gap, 2 good: still firing; a third good resolves.
  const g = [0, 1, 2].map((i) => point(i, { loss: 50 }));
  g.push(
    point(3, { loss: 0 }),
    point(4, { loss: 0 }),
    point(20, { loss: 0 }),
    point(21, { loss: 0 }),
  );
  const f = run(loss, g);
  assert.deepEqual(f.out.map((t) => t.state), ["firing"]);
  const done = run(loss, [...g, point(22, { loss: 0 })]);
  assert.deepEqual(done.out.map((t) => [t.state, t.i]), [["firing", 2], [
    "ok",
    7,
  ]]);
  // Scheduling jitter (under 1.5 steps) is no gap.
  const jitter = [0, 1.3, 2.6].map((x) => ({
    ...point(0, { loss: 50 }),
    t: T0 + x * 1000,
  }));
  assert.equal(run(loss, jitter).out.length, 1);
});

Deno.test("evaluator: a replayed or older point is ignored", () => {
  const a = run(loss, seq([50, 50]));
  const again = evaluate(loss, 1, a.state, point(1, { loss: 50 }));
  assert.equal(again.taken, false);
  assert.equal(again.transition, null);
  assert.equal(again.state.streak, 2);
});
