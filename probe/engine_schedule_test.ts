// The engine's schedule (a min-heap of due times, sends batched 1 ms ahead,
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
        // 9 gaps of one interval; sends go up to 1 ms early in a batch and a
        // busy machine shifts kernel stamps by a few ms either way.
        span > 8 * interval && span < 9 * interval + 100,
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
