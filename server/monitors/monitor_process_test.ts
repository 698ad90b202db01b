// The real service process: a config monitor starts with it, stores points,
// exits cleanly on SIGTERM, and after a restart on the same KV file the time
// away is a gap (no data) and the monitor continues. Loopback only; bounded.
import assert from "node:assert/strict";
import {
  getJson,
  sleep,
  startServer,
  stopServer,
} from "../../testing/server_process.ts";

const CONFIG = `servers:
  - { id: lo4, name: Loopback 4, host: 127.0.0.1 }
monitors:
  - { id: proc, server: lo4, step_s: 1, probes: 4, timeout_ms: 300 }
`;

Deno.test("service process: monitor runs from start, SIGTERM stops it, restart stores a gap and continues", async () => {
  const dir = await Deno.makeTempDir();
  try {
    let s = await startServer({ dir, config: CONFIG });
    const t0 = Date.now();
    await sleep(3000);
    const first = await getJson(`${s.base}/api/monitors/proc`);
    assert.equal(first.status_code, 200, s.output());
    assert.equal((first.latest as { sent: number }).sent, 4);
    assert.equal(first.state, "ok");
    const status = await stopServer(s);
    assert.equal(status.code, 0, s.output());
    const stopped = Date.now();
    await sleep(2000);
    s = await startServer({ dir, config: CONFIG });
    try {
      await sleep(2500);
      const series = await getJson(
        `${s.base}/api/monitors/proc/series?from=${t0 - 1000}&to=${Date.now()}`,
      );
      assert.equal(series.resolution, "step");
      const points = series.points as { t: number; loss_pct: number }[];
      const gaps = series.gaps as { from: number; to: number }[];
      assert.equal(gaps.length, 1, JSON.stringify(gaps));
      assert.ok(gaps[0].to - gaps[0].from >= 2000);
      assert.ok(gaps[0].to >= stopped + 1000);
      assert.ok(points.every((p) => p.loss_pct === 0), "no loss stored");
      assert.ok(points.some((p) => p.t < gaps[0].from));
      assert.ok(points.some((p) => p.t >= gaps[0].to), "continues");
    } finally {
      assert.equal((await stopServer(s)).code, 0, s.output());
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
