// Monitors with the real engine through the real shim to loopback, on a real
// KV file: a point per 1-second step with the right counts, published and
// handed to onPoint; a restart stores the time away as a gap, never as loss,
// and continues; API monitors survive a restart. Every run is bounded.
import assert from "node:assert/strict";
import { Engine } from "../../probe/engine.ts";
import { parseConfig } from "../config/config.ts";
import type { MonitorPoint, MonitorSpec } from "../../model/monitor.ts";
import { KvMonitorStore } from "./kv_monitor_store.ts";
import { MonitorHub } from "./monitor_hub.ts";
import { MonitorService } from "./monitor_service.ts";
import { stepOffset } from "./monitor_loop.ts";

const CONFIG = `auth: { mode: open }
servers:
  - { id: lo4, name: Loopback 4, host: 127.0.0.1, group: local }
  - { id: lo6, name: Loopback 6, host: "::1" }
monitors:
  - { id: m-lo4, server: lo4, step_s: 1, probes: 5, timeout_ms: 300 }
`;

async function withService(
  path: string,
  fn: (
    svc: MonitorService,
    store: KvMonitorStore,
    seen: MonitorPoint[],
    hub: MonitorHub,
  ) => Promise<void>,
) {
  const engine = Engine.create();
  const kv = await Deno.openKv(path);
  const store = new KvMonitorStore(kv);
  const hub = new MonitorHub();
  const seen: MonitorPoint[] = [];
  const svc = new MonitorService({
    engine,
    config: parseConfig(CONFIG),
    store,
    hub,
    onPoint: (m, server, address, p) => {
      assert.equal(m.id === "m-lo4" ? server.id : "lo6", m.server);
      if (m.id === "m-lo4") assert.equal(address, "127.0.0.1");
      seen.push(p);
    },
  });
  try {
    await svc.start();
    await fn(svc, store, seen, hub);
  } finally {
    await svc.close();
    await engine.close();
    kv.close();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("a 1-second monitor on 127.0.0.1 stores a point per step with the right counts; a restart stores a gap, not loss", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/mon.kv`;
  try {
    const t0 = Date.now();
    await withService(path, async (svc, store, seen, hub) => {
      const sub = hub.subscribe(0);
      await sleep(3600);
      const pts = await store.points("m-lo4", "step", t0 - 1000, Date.now());
      assert.ok(pts.length >= 2 && pts.length <= 4, `${pts.length} points`);
      for (const p of pts) {
        assert.equal(p.t % 1000, 0, "steps are aligned to the wall clock");
        assert.equal(p.span_s, 1);
        assert.equal(p.sent, 5);
        assert.equal(p.received, 5);
        assert.equal(p.loss_pct, 0);
        assert.equal(p.deciles_ms.length, 9);
        assert.equal(p.hist.reduce((s, [, n]) => s + n, 0), 5);
        assert.ok(p.min_rtt_ms! > 0 && p.max_rtt_ms! < 50);
      }
      assert.deepEqual(seen.map((p) => p.t), pts.map((p) => p.t));
      const ev = await sub.next();
      assert.equal(ev!.type as string, "point");
      assert.equal(
        (ev!.data as unknown as { monitor: string }).monitor,
        "m-lo4",
      );
      sub.close();
      const st = svc.status("m-lo4")!;
      assert.equal(st.state, "ok");
      assert.equal(st.address, "127.0.0.1");
      assert.equal(st.source, "config");
      // An API monitor, stored, started again after the restart.
      const spec: MonitorSpec = {
        id: "api-lo6",
        server: "lo6",
        mode: "ping",
        step_s: 1,
        probes: 2,
        timeout_ms: 300,
        size: 56,
        alerts: [],
      };
      await svc.create(spec);
      assert.equal(svc.pps(), 7);
    });
    const stoppedAt = Date.now();
    const before = await (async () => {
      const kv = await Deno.openKv(path);
      const p = await new KvMonitorStore(kv).lastPoint("m-lo4");
      kv.close();
      return p!;
    })();
    await sleep(2500);
    await withService(path, async (svc, store) => {
      assert.equal(svc.status("api-lo6")!.source, "api");
      await sleep(2600);
      const gaps = await store.gaps("m-lo4", before.t, Date.now());
      assert.equal(gaps.length, 1, JSON.stringify(gaps));
      const gap = gaps[0];
      assert.equal(gap.from, before.t + 1000);
      // The new service's first step starts at a whole second: up to 1 s
      // before the 2.5 s of downtime are over.
      assert.ok(gap.to >= stoppedAt + 1500, `gap to ${gap.to}`);
      const pts = await store.points("m-lo4", "step", before.t, Date.now());
      // No point inside the gap, none of them lossy: the time away is no data.
      assert.ok(pts.every((p) => p.t < gap.from || p.t >= gap.to));
      assert.ok(pts.every((p) => p.loss_pct === 0));
      assert.ok(pts.filter((p) => p.t >= gap.to).length >= 1, "continues");
      assert.ok(
        (await store.points("api-lo6", "step", stoppedAt, Date.now())).length >=
          1,
      );
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("step offsets are stable and spread", () => {
  assert.equal(stepOffset("a", 60_000), stepOffset("a", 60_000));
  const offs = new Set(
    Array.from(
      { length: 100 },
      (_, i) => Math.floor(stepOffset(`m${i}`, 60_000) / 6000),
    ),
  );
  assert.ok(offs.size >= 8, "100 monitors spread over most tenths of the step");
});

Deno.test("a path monitor on 127.0.0.1 stores the destination hop's figures and the step's hops", async () => {
  const dir = await Deno.makeTempDir();
  const engine = Engine.create();
  const kv = await Deno.openKv(`${dir}/p.kv`);
  const store = new KvMonitorStore(kv);
  const svc = new MonitorService({
    engine,
    config: parseConfig(`auth: { mode: open }
servers:
  - { id: lo4, name: Loopback 4, host: 127.0.0.1 }
monitors:
  - { id: p, server: lo4, mode: path, step_s: 1, probes: 2, timeout_ms: 300 }
`),
    store,
    hub: new MonitorHub(),
  });
  try {
    await svc.start();
    assert.equal(svc.pps(), 60, "a path monitor counts every hop (30)");
    await sleep(2600);
    const pts = await store.points("p", "step", 0, Date.now());
    assert.ok(pts.length >= 1);
    assert.equal(pts[0].sent, 2);
    assert.equal(pts[0].received, 2);
    const hops = svc.latestHops("p")!;
    assert.deepEqual(hops.hops.map((h) => [h[0], h[1], h[2]]), [[
      1,
      "127.0.0.1",
      0,
    ]]);
    assert.deepEqual((await store.latestHops("p"))!.hops, hops.hops);
  } finally {
    await svc.close();
    await engine.close();
    kv.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("on start, complete hours with step points but no rollup are rolled up, and the time since is one gap", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/r.kv`;
  try {
    const H = 3_600_000;
    const hour = Math.floor(Date.now() / H) * H - 3 * H;
    {
      const kv = await Deno.openKv(path);
      const store = new KvMonitorStore(kv);
      for (let t = hour; t < hour + H; t += 1000) {
        await store.putPoint("m-lo4", "step", {
          t,
          span_s: 1,
          sent: 5,
          received: t % 10_000 === 0 ? 4 : 5,
          loss_pct: t % 10_000 === 0 ? 20 : 0,
          late: 0,
          duplicates: 0,
          min_rtt_ms: 0.05,
          median_rtt_ms: 0.06,
          avg_rtt_ms: 0.06,
          max_rtt_ms: 0.07,
          deciles_ms: Array(9).fill(0.06),
          jitter_ms: 0.01,
          jitter_pairs: 4,
          hist: [[85, t % 10_000 === 0 ? 4 : 5]],
        });
      }
      kv.close();
    }
    await withService(path, async (_svc, store) => {
      const [h] = await store.points("m-lo4", "hour", hour, hour + H);
      assert.ok(h, "the hour was rolled up on start");
      assert.equal(h.sent, 5 * 3600);
      assert.equal(h.received, 5 * 3600 - 360);
      assert.equal(h.loss_pct, 2);
      const gaps = await store.gaps("m-lo4", hour, Date.now() + 2000);
      assert.equal(gaps.length, 1);
      assert.equal(gaps[0].from, hour + H);
      assert.ok(gaps[0].to >= Date.now() - 1000);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("mayRun: two services on one store run each monitor in one of them, hand it over when the answer changes, and share API monitors", async () => {
  const dir = await Deno.makeTempDir();
  const engine = Engine.create();
  const kv = await Deno.openKv(`${dir}/lease.kv`);
  const config = parseConfig(`auth: { mode: open }
servers:
  - { id: lo4, name: Loopback 4, host: 127.0.0.1 }
monitors:
  - { id: m-a, server: lo4, step_s: 1, probes: 2, timeout_ms: 300 }
  - { id: m-b, server: lo4, step_s: 1, probes: 2, timeout_ms: 300 }
`);
  // Who holds each monitor's "lease": replica 1 or 2.
  const owner: Record<string, number> = { "m-a": 1, "m-b": 1, "m-c": 2 };
  const seen: string[][] = [[], []];
  const replica = (n: number) =>
    new MonitorService({
      engine,
      config,
      store: new KvMonitorStore(kv),
      hub: new MonitorHub(),
      onPoint: (m) => seen[n - 1].push(m.id),
      mayRun: (id) => owner[id] === n,
      mayRunEveryMs: 100,
    });
  const r1 = replica(1), r2 = replica(2);
  const ran = (n: number) => [...new Set(seen[n - 1])].sort();
  const reset = () => seen.forEach((s) => s.length = 0);
  try {
    await r1.start();
    await r2.start();
    // Each stores a point a step after it starts (later on a busy machine).
    const within = async (ms: number, ok: () => boolean) => {
      for (const end = Date.now() + ms; !ok() && Date.now() < end;) {
        await sleep(50);
      }
    };
    await within(5000, () => ran(1).length === 2);
    assert.deepEqual(ran(1), ["m-a", "m-b"]);
    assert.deepEqual(ran(2), []);
    // Not run by replica 2, but its status shows the stored point.
    await sleep(300);
    const latest = r2.status("m-b")!.latest;
    assert.ok(latest && latest.t >= Date.now() - 3000, "r2 reads m-b's points");
    assert.equal(r2.status("m-b")!.state, "ok");

    owner["m-b"] = 2;
    await sleep(1200); // the check runs, a step in flight finishes
    reset();
    await within(5000, () => ran(1).length > 0 && ran(2).length > 0);
    assert.deepEqual(ran(1), ["m-a"]);
    assert.deepEqual(ran(2), ["m-b"]);

    // An API monitor made on replica 1, held by replica 2: replica 2 runs it.
    await r1.create({
      id: "m-c",
      server: "lo4",
      mode: "ping",
      step_s: 1,
      probes: 2,
      timeout_ms: 300,
      size: 56,
      alerts: [],
    });
    await sleep(1800);
    assert.equal(r2.spec("m-c")?.probes, 2);
    assert.ok(seen[1].includes("m-c"), "replica 2 runs m-c");
    assert.ok(!seen[0].includes("m-c"), "replica 1 does not");
    await r1.remove("m-c");
    await sleep(400);
    assert.equal(r2.spec("m-c"), undefined);
    reset();
    await sleep(1200);
    assert.ok(!seen[1].includes("m-c"), "removed everywhere");
  } finally {
    await r1.close();
    await r2.close();
    await engine.close();
    kv.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("onStart: awaited before a monitor's first point; when it throws the monitor stays stopped until the next check; firing() learns where it runs", async () => {
  const dir = await Deno.makeTempDir();
  const engine = Engine.create();
  const kv = await Deno.openKv(`${dir}/start.kv`);
  const config = parseConfig(`auth: { mode: open }
servers:
  - { id: lo4, name: Loopback 4, host: 127.0.0.1 }
monitors:
  - { id: m-a, server: lo4, step_s: 1, probes: 2, timeout_ms: 300 }
`);
  const log: string[] = [];
  let may = false;
  let calls = 0;
  const here: boolean[] = [];
  const svc = new MonitorService({
    engine,
    config,
    store: new KvMonitorStore(kv),
    hub: new MonitorHub(),
    onPoint: (m) => log.push(`point ${m.id}`),
    firing: (_id, h) => {
      here.push(h);
      return [];
    },
    mayRun: () => may,
    mayRunEveryMs: 100,
  });
  svc.onStart = async (id) => {
    if (++calls === 1) throw new Error("the store is away");
    await sleep(50); // e.g. reading the alert states
    log.push(`adopted ${id}`);
  };
  try {
    await svc.start();
    svc.status("m-a");
    may = true; // the lease is ours: the first onStart fails, the next check retries
    for (let i = 0; i < 50 && !log.includes("point m-a"); i++) await sleep(100);
    svc.status("m-a");
    assert.ok(calls >= 2);
    assert.equal(log[0], "adopted m-a");
    assert.ok(log.includes("point m-a"), "it runs");
    assert.equal(log.filter((l) => l.startsWith("adopted")).length, 1);
    assert.deepEqual(here, [false, true]);
  } finally {
    await svc.close();
    await engine.close();
    kv.close();
    await Deno.remove(dir, { recursive: true });
  }
});
