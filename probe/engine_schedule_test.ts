// The engine's schedule (a min-heap of due times, sends batched 1-3 ms ahead,
// waits that linger when busy) with many targets, through the real shim
// against loopback addresses only (127.0.0.0/8 is answered by the kernel).
import assert from "node:assert/strict";
import { Engine } from "./engine.ts";
import type { ProbeRecord } from "../model/probe.ts";

const TARGETS = 200;
const hosts = Array.from(
  { length: TARGETS },
  (_, i) => ({
    target: `t${i}`,
    host: `127.0.${1 + (i >> 8)}.${1 + (i & 255)}`,
  }),
);

Deno.test("200 loopback targets × 10 probes at 20 ms: every probe answered once, in order, on cadence", async () => {
  const engine = Engine.create();
  try {
    const records: ProbeRecord[] = [];
    const interval = 20;
    const run = await engine.run(
      hosts,
      { interval_ms: interval, count: 10, timeout_ms: 500, size: 56 },
      { onProbe: (r) => records.push(r) },
    );
    await run.done;
    assert.equal(records.length, TARGETS * 10);
    for (let i = 0; i < TARGETS; i++) {
      const s = run.stats(i);
      assert.equal(s.sent, 10, `target ${i} sent`);
      assert.equal(s.received, 10, `target ${i} received`);
      const mine = records.filter((r) => r.target === `t${i}`)
        .sort((a, b) => a.index - b.index);
      assert.deepEqual(mine.map((r) => r.index), [...Array(10).keys()]);
      assert.ok(mine.every((r) => r.status === "ok"));
      // Each target keeps its cadence: a late loop never makes up with a
      // burst. The engine keeps gaps at least half an interval (less the 1 ms
      // send-ahead), but a sent_at is the kernel's stamp, and on a busy
      // machine a send late in a batch of 200 shortens the gap after it: a
      // quarter interval still tells a resumed cadence from a burst (~0 ms).
      for (let k = 1; k < 10; k++) {
        const gap = mine[k].sent_at - mine[k - 1].sent_at;
        assert.ok(gap >= interval / 4, `target ${i}: gap ${gap} ms`);
      }
      const span = mine[9].sent_at - mine[0].sent_at;
      assert.ok(
        // 9 gaps of one interval; a pass sends up to 1 ms early or 5 ms late
        // and a busy machine shifts kernel stamps by a few ms either way.
        // A loop that falls further behind makes the run longer (however
        // busy the machine, never by a whole timeout per probe).
        span > 8 * interval && span < 9 * interval + 500,
        `target ${i}: 10 probes over ${span} ms`,
      );
    }
    // Staggered start: the targets' first probes spread over one interval.
    const firsts = records.filter((r) => r.index === 0).map((r) => r.sent_at);
    assert.ok(
      Math.max(...firsts) - Math.min(...firsts) > interval / 2,
      "first probes spread over the interval",
    );
  } finally {
    await engine.close();
  }
});

/** Keeps the event loop (and so the engine's loop) from running for `ms`. */
function blockEventLoop(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) { /* busy */ }
}

/** The most of these (sorted) times that fall within any `windowMs`. */
function densest(times: number[], windowMs: number): number {
  let most = 0;
  for (let a = 0, b = 0; b < times.length; b++) {
    while (times[b] - times[a] > windowMs) a++;
    most = Math.max(most, b - a + 1);
  }
  return most;
}

const PACED_TARGETS = 100;
const PACED_INTERVAL = 100;

// At 100 targets over 100 ms the schedule holds one send per ms. A late loop
// sends what fell due in the last 5 ms (plus 3 ms ahead: 3 % of the
// interval) and the rest of the schedule moves later: any 10 ms of kernel
// send stamps hold about 10, at most 10 + 2 × 8. One that sent everything
// due at once puts all 100 there. The bound leaves room for a busy
// machine's uneven passes, far below that.
const MOST_IN_10_MS = 30;

Deno.test("a late first pass still spreads the first probes over the interval", async () => {
  const engine = Engine.create();
  try {
    const records: ProbeRecord[] = [];
    const run = await engine.run(
      hosts.slice(0, PACED_TARGETS),
      { interval_ms: PACED_INTERVAL, count: 2, timeout_ms: 1000, size: 56 },
      { onProbe: (r) => records.push(r) },
    );
    // The loop's first pass has sent what was due at once; the next one is
    // 1.5 intervals late, when every first probe is overdue.
    blockEventLoop(1.5 * PACED_INTERVAL);
    await run.done;
    assert.equal(records.length, PACED_TARGETS * 2);
    assert.ok(records.every((r) => r.status === "ok"));
    const firsts = records.filter((r) => r.index === 0)
      .map((r) => r.sent_at).sort((a, b) => a - b);
    // Those sent before the block are few (what was due within ~2 ms).
    const afterBlock = firsts.filter((t) => t - firsts[0] > PACED_INTERVAL);
    assert.ok(
      afterBlock.length >= PACED_TARGETS - 10,
      `${PACED_TARGETS - afterBlock.length} first probes before the block`,
    );
    // The stagger kept: about one interval (a burst: ~1 ms).
    const span = afterBlock.at(-1)! - afterBlock[0];
    assert.ok(
      span > PACED_INTERVAL / 2,
      `first probes after the block span ${span.toFixed(1)} ms`,
    );
    const most = densest(firsts, 10);
    assert.ok(most <= MOST_IN_10_MS, `${most} first probes within 10 ms`);
  } finally {
    await engine.close();
  }
});

Deno.test("a loop stalled mid-run resumes at the scheduled rate, without a burst", async () => {
  const engine = Engine.create();
  try {
    const records: ProbeRecord[] = [];
    const run = await engine.run(
      hosts.slice(0, PACED_TARGETS),
      { interval_ms: PACED_INTERVAL, count: 4, timeout_ms: 1000, size: 56 },
      { onProbe: (r) => records.push(r) },
    );
    // Stall in the second round: every target falls due during the stall.
    await new Promise((r) => setTimeout(r, 1.2 * PACED_INTERVAL));
    blockEventLoop(1.5 * PACED_INTERVAL);
    await run.done;
    assert.equal(records.length, PACED_TARGETS * 4);
    assert.ok(records.every((r) => r.status === "ok"));
    const sends = records.map((r) => r.sent_at).sort((a, b) => a - b);
    const most = densest(sends, 10);
    assert.ok(most <= MOST_IN_10_MS, `${most} probes sent within 10 ms`);
    // No target sent two probes less than half an interval apart.
    for (let i = 0; i < PACED_TARGETS; i++) {
      const mine = records.filter((r) => r.target === `t${i}`)
        .sort((a, b) => a.index - b.index);
      for (let k = 1; k < mine.length; k++) {
        const gap = mine[k].sent_at - mine[k - 1].sent_at;
        assert.ok(gap >= PACED_INTERVAL / 4, `target ${i}: gap ${gap} ms`);
      }
    }
  } finally {
    await engine.close();
  }
});

Deno.test("stop() with many targets mid-run: sending ends at once and the run finishes after the timeout", async () => {
  const engine = Engine.create();
  try {
    const run = await engine.run(
      hosts,
      { interval_ms: 1000, count: 100, timeout_ms: 200, size: 56 },
    );
    await new Promise((r) => setTimeout(r, 1500));
    const t0 = performance.now();
    run.stop();
    await run.done;
    // Waiting for the next send (up to 1 s away) would be a bug: only the
    // timeout of the probes in flight (200 ms) may remain.
    const waited = performance.now() - t0;
    assert.ok(waited < 600, `done ${waited} ms after stop()`);
    for (let i = 0; i < TARGETS; i++) {
      const s = run.stats(i);
      assert.ok(s.sent >= 1 && s.sent <= 3, `target ${i} sent ${s.sent}`);
      assert.equal(s.received, s.sent);
      assert.equal(s.pending, 0);
    }
  } finally {
    await engine.close();
  }
});
