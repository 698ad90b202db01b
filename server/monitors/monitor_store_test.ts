// The monitor store on a real KV file: the MonitorStore suite
// (monitor_store_suite.ts), and the bytes a point takes.
import assert from "node:assert/strict";
import { KvMonitorStore } from "./kv_monitor_store.ts";
import { encodePoint } from "./point_codec.ts";
import { fakePoint, monitorStoreSuite } from "./monitor_store_suite.ts";

monitorStoreSuite("kv monitor store", async (retention) => {
  const dir = await Deno.makeTempDir({ prefix: "pla-mon-" });
  const kv = await Deno.openKv(`${dir}/m.kv`);
  return {
    store: new KvMonitorStore(kv, retention),
    again: () => new KvMonitorStore(kv, retention),
    async close() {
      kv.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
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
