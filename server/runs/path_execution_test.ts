// A path test ("mode": "path") through the runner: the real engine and shim
// probing 127.0.0.1 only (one hop: the destination answers TTL 1), KV in a
// real file, replayed by a second runner on the same file after the end.
import assert from "node:assert/strict";
import { Engine } from "../../probe/engine.ts";
import { loadConfig } from "../config/config.ts";
import type { RunEvent } from "../../model/events.ts";
import { hopRecord, pathSummary, routeChange } from "../../model/path.ts";
import { KvStore } from "../store/kv_store.ts";
import { Runner } from "./runner.ts";
import { MAX_ROUTE_CHANGES, PathRun } from "../../probe/path/path_run.ts";
import type { ProbeRun } from "../../probe/engine.ts";
import type { TargetStats } from "../../model/probe.ts";

async function withFileRunner(
  path: string,
  fn: (runner: Runner, store: KvStore) => Promise<void>,
) {
  const engine = Engine.create();
  const store = await KvStore.open(path, { flushEveryMs: 50 });
  const runner = new Runner({
    engine,
    config: await loadConfig(),
    store,
    reportEveryMs: 50,
  });
  try {
    await fn(runner, store);
  } finally {
    await runner.close();
    await engine.close();
    await store.close();
  }
}

async function collect(runner: Runner, id: string): Promise<RunEvent[]> {
  const hub = await runner.hub(id);
  const out: RunEvent[] = [];
  for await (const ev of hub!.subscribe()) out.push(ev);
  return out;
}

Deno.test("path test to 127.0.0.1: hop events, one path event (1 hop, reached, no loss origin), stored, replayed identically", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pla-path-" });
  const file = `${dir}/pla.kv`;
  try {
    let id = "";
    let live: RunEvent[] = [];
    await withFileRunner(file, async (runner, store) => {
      const meta = await runner.start({
        targets: ["localhost-v4"],
        mode: "path",
        max_hops: 4,
        interval_ms: 100,
        count: 4,
        timeout_ms: 300,
      });
      id = meta.id;
      assert.equal(meta.settings.mode, "path");
      assert.equal(meta.settings.max_hops, 4);
      live = await collect(runner, id);
      await runner.finished(id);
      assert.deepEqual(live.map((e) => e.id), live.map((_, i) => i + 1));
      const types = live.map((e) => e.type);
      assert.equal(types[0], "status");
      assert.deepEqual(types.slice(-2), ["status", "end"]);
      assert.ok(!types.includes("interval") && !types.includes("summary"));

      const probes = live.filter((e) => e.type === "probe").map((e) => e.data);
      assert.ok(probes.length >= 4, `${probes.length} probes`);
      for (const p of probes) {
        assert.ok(p.hop !== undefined && p.hop >= 1 && p.hop <= 4);
        assert.equal(p.from, undefined, "loopback: the destination answers");
      }
      // Four rounds of hop 1, all answered.
      const hop1 = probes.filter((p) => p.hop === 1);
      assert.equal(hop1.length, 4);
      assert.ok(hop1.every((p) => p.status === "ok"));

      const hops = live.filter((e) => e.type === "hop").map((e) =>
        hopRecord.parse(e.data)
      );
      assert.ok(hops.length >= 2, `${hops.length} hop events`);
      for (const h of hops) {
        assert.equal(h.hop, 1);
        assert.equal(h.target, "localhost-v4");
        assert.equal(h.address, "127.0.0.1");
      }
      // The last report (at the end) has every probe of hop 1.
      const last = hops.at(-1)!;
      assert.equal(last.sent, 4);
      assert.equal(last.received, 4);
      assert.equal(last.hop_address, "127.0.0.1");
      assert.deepEqual(
        last.hop_addresses.map((a) => [a.address, a.received]),
        [["127.0.0.1", 4]],
      );
      assert.equal(last.forwarded_loss, false);
      assert.equal(
        live.filter((e) => e.type === "route_change").length,
        0,
      );

      const paths = live.filter((e) => e.type === "path");
      assert.equal(paths.length, 1);
      const path = pathSummary.parse(paths[0].data);
      assert.equal(path.destination_reached, true);
      assert.equal(path.destination_hop, 1);
      assert.equal(path.loss_origin, null);
      assert.equal(path.hops.length, 1);
      assert.equal(path.hops[0].received, 4);
      assert.equal(types.indexOf("path"), types.length - 3, "path before end");

      const done = await runner.get(id);
      assert.equal(done?.status, "completed");
      assert.equal(done?.targets[0].address, "127.0.0.1");
      assert.deepEqual(await store.getPaths(id), [path]);
      assert.deepEqual(await runner.paths(id), [path]);
      assert.equal(await store.getSummary(id), null);
    });

    // A new process on the same KV file: the replay is the live stream.
    await withFileRunner(file, async (runner, store) => {
      assert.equal((await runner.get(id))?.status, "completed");
      // As sent (replays are framed events, not plain objects).
      const plain = (evs: RunEvent[]) =>
        evs.map(({ id, type, data }) => ({ id, type, data }));
      assert.deepEqual(plain(await collect(runner, id)), plain(live));
      assert.deepEqual(await store.events(id), plain(live));
      assert.equal((await runner.paths(id))?.[0].destination_hop, 1);
      await runner.delete(id);
      assert.equal(await store.getPaths(id), null);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a stopped path test ends stopped with its path event", async () => {
  await withFileRunner(":memory:", async (runner) => {
    const meta = await runner.start({
      targets: ["localhost-v4", "localhost-v6"],
      mode: "path",
      max_hops: 3,
      interval_ms: 50,
      duration_s: 60,
      timeout_ms: 200,
    });
    await new Promise((r) => setTimeout(r, 300));
    const running = await runner.paths(meta.id);
    assert.equal(running?.length, 2);
    await runner.stop(meta.id);
    await runner.finished(meta.id);
    assert.equal((await runner.get(meta.id))?.status, "stopped");
    const events = await collect(runner, meta.id);
    const paths = events.filter((e) => e.type === "path").map((e) =>
      pathSummary.parse(e.data)
    );
    assert.deepEqual(paths.map((p) => [p.target, p.address]), [
      ["localhost-v4", "127.0.0.1"],
      ["localhost-v6", "::1"],
    ]);
    assert.ok(paths.every((p) => p.destination_hop === 1));
    // Every route_change event (none on loopback) parses as one.
    for (const e of events) {
      if (e.type === "route_change") routeChange.parse(e.data);
    }
  });
});

Deno.test("a path keeps the newest route changes only (bounded memory, KV's value limit)", () => {
  // A hop alternating between two routers every round (ECMP), fed as the
  // engine would report it; no packets.
  const path = new PathRun("t", "198.18.0.9", 2);
  const stats = { sent: 0, received: 0, loss_pct: 0 } as TargetStats;
  path.attach(
    { stats: () => stats, stopTarget: () => {} } as unknown as ProbeRun,
  );
  const rounds = MAX_ROUTE_CHANGES + 51;
  for (let i = 0; i < rounds; i++) {
    path.observe({
      target: "t",
      address: "198.18.0.9",
      index: i,
      seq: i,
      sent_at: 1_000 + i,
      rtt_ms: 1,
      status: "ok",
      ttl: 64,
      ts_source: "kernel",
      hop: 1,
      from: i % 2 ? "198.18.1.1" : "198.18.2.1",
    });
  }
  assert.equal(path.routeChangeCount, rounds - 1);
  const s = path.summary();
  assert.equal(s.route_changes.length, MAX_ROUTE_CHANGES);
  assert.deepEqual(s.route_changes, path.routeChanges);
  // The newest: the last change is the last round's.
  assert.equal(
    s.route_changes.at(-1)!.timestamp,
    new Date(1_000 + rounds - 1).toISOString(),
  );
  assert.equal(
    s.route_changes[0].timestamp,
    new Date(1_000 + rounds - MAX_ROUTE_CHANGES).toISOString(),
  );
});
