// The monitor store on a real KV file: points by resolution and range,
// rollups of complete hours and days (once, restart-safe), gaps, specs, and
// the bytes a point takes.
import assert from "node:assert/strict";
import { KvMonitorStore } from "./kv_monitor_store.ts";
import type { MonitorPoint } from "../../model/monitor.ts";
import { encodePoint } from "./point_codec.ts";

const H = 3_600_000;
export function fakePoint(t: number, span_s: number, rtt = 1.5): MonitorPoint {
  return {
    t,
    span_s,
    sent: 20,
    received: 19,
    loss_pct: 5,
    late: 0,
    duplicates: 0,
    min_rtt_ms: rtt,
    median_rtt_ms: rtt,
    avg_rtt_ms: rtt,
    max_rtt_ms: rtt,
    deciles_ms: Array(9).fill(rtt),
    jitter_ms: 0,
    jitter_pairs: 18,
    hist: [[Math.floor(Math.log(rtt * 1000) / Math.log(1.05)) + 1, 19]],
  };
}

Deno.test("store: points, complete-hour and day rollups once, gaps, specs", async () => {
  const dir = await Deno.makeTempDir();
  const kv = await Deno.openKv(`${dir}/m.kv`);
  try {
    const store = new KvMonitorStore(kv);
    const day0 = Math.floor(Date.now() / 86_400_000) * 86_400_000 -
      2 * 86_400_000;
    // Two full days and 30 min of the third, one point every 10 min.
    for (let t = day0; t < day0 + 48 * H + H / 2; t += 600_000) {
      await store.putPoint("m1", "step", fakePoint(t, 600));
    }
    assert.equal((await store.points("m1", "step", day0, day0 + H)).length, 6);
    const made = await store.rollUp("m1", day0 + 48 * H + H / 2);
    assert.equal(made.filter((p) => p.span_s === 3600).length, 48);
    assert.equal(made.filter((p) => p.span_s === 86400).length, 2);
    const hour = (await store.points("m1", "hour", day0, day0 + H))[0];
    assert.equal(hour.sent, 120);
    assert.equal(hour.received, 114);
    const day = (await store.points("m1", "day", day0, day0 + 86_400_000))[0];
    assert.equal(day.sent, 20 * 144);
    // A second pass (a restart) makes nothing twice.
    assert.deepEqual(await store.rollUp("m1", day0 + 48 * H + H / 2), []);
    assert.equal(
      (await store.lastPoint("m1"))!.t,
      day0 + 48 * H + H / 2 - 600_000,
    );
    await store.putGap("m1", { from: day0 + 10 * H, to: day0 + 12 * H });
    assert.deepEqual(await store.gaps("m1", day0 + 11 * H, day0 + 20 * H), [
      { from: day0 + 10 * H, to: day0 + 12 * H },
    ]);
    assert.deepEqual(await store.gaps("m1", day0 + 13 * H, day0 + 20 * H), []);
    await store.putSpec({
      id: "a",
      server: "s",
      mode: "ping",
      step_s: 60,
      probes: 20,
      timeout_ms: 1000,
      size: 56,
      alerts: [],
    });
    assert.equal((await store.specs()).length, 1);
    await store.deleteSpec("a");
    assert.equal((await store.specs()).length, 0);
  } finally {
    kv.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("store: bytes per stored point on disk (KV file), and per monitor-year at 60 s steps", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/size.kv`;
  try {
    const kv = await Deno.openKv(path);
    const store = new KvMonitorStore(kv);
    const N = 3000;
    const t0 = Date.now() - N * 60_000;
    let value = 0;
    for (let k = 0; k < N; k++) {
      // Realistic spread: a 20-probe step's deciles and 4 histogram buckets.
      const p = fakePoint(t0 + k * 60_000, 60, 20 + (k % 7) / 3);
      p.deciles_ms = [20.1, 20.3, 20.4, 20.6, 20.8, 21.1, 21.5, 22.2, 23.9];
      p.hist = [[470, 5], [471, 7], [472, 4], [475, 3]];
      value += encodePoint(p).length;
      await store.putPoint("gw-watch", "step", p);
    }
    kv.close();
    const size = (f: string) => Deno.stat(f).then((s) => s.size, () => 0);
    const disk = (await size(path)) + (await size(`${path}-wal`));
    const perPoint = disk / N;
    // A monitor-year at 60 s steps: 14 days of steps, a year of hours, the
    // day points (5 years' worth counted in full).
    const year = perPoint * (14 * 1440 + 365 * 24 + 1825);
    console.log(
      `value ${(value / N).toFixed(1)} B/point; on disk ${
        perPoint.toFixed(0)
      } B/point; one monitor at 60 s steps: ~${(year / 1e6).toFixed(1)} MB`,
    );
    assert.ok(year < 10e6, `${year} bytes`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
