// The runner with a real engine, probing loopback only, and KV in memory.
import assert from "node:assert/strict";
import { Engine } from "../../probe/engine.ts";
import { loadConfig } from "../config/config.ts";
import type { RunEvent } from "../../model/events.ts";
import {
  ConflictError,
  InvalidRequestError,
  LimitError,
  NotFoundError,
} from "../errors.ts";
import { problemOf } from "../http/problem.ts";
import { KvStore } from "../store/kv_store.ts";
import { Runner } from "./runner.ts";

async function withRunner(
  fn: (runner: Runner, store: KvStore) => Promise<void>,
  reportEveryMs = 1000,
  hubKeep?: number,
) {
  const engine = Engine.create();
  const store = await KvStore.open(":memory:", { flushEveryMs: 50 });
  const config = await loadConfig();
  const runner = new Runner({
    engine,
    config,
    store,
    reportEveryMs,
    hubKeep,
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

Deno.test("a test runs to completion: probes, intervals, summary, end, stored", async () => {
  await withRunner(async (runner, store) => {
    const meta = await runner.start({
      targets: ["localhost-v4", "localhost-v6"],
      interval_ms: 20,
      count: 10,
      timeout_ms: 500,
    });
    assert.equal(meta.status, "running");
    const events = await collect(runner, meta.id);
    await runner.finished(meta.id);
    assert.deepEqual(events.map((e) => e.id), events.map((_, i) => i + 1));
    const types = events.map((e) => e.type);
    assert.equal(types[0], "status");
    assert.equal(types.at(-1), "end");
    assert.equal(types.filter((t) => t === "probe").length, 20);
    assert.ok(types.filter((t) => t === "interval").length >= 2);
    const summaries = events.filter((e) => e.type === "summary").map((e) =>
      e.data as { target: string; sent: number; received: number }
    );
    assert.deepEqual(summaries.map((s) => [s.target, s.sent, s.received]), [
      ["localhost-v4", 10, 10],
      ["localhost-v6", 10, 10],
    ]);
    const interval = events.find((e) => e.type === "interval")!.data as Record<
      string,
      unknown
    >;
    for (
      const k of [
        "timestamp",
        "target",
        "sent",
        "received",
        "loss_pct",
        "avg_rtt_ms",
        "jitter_ms",
        "mos",
      ]
    ) assert.ok(k in interval, k);
    const done = await runner.get(meta.id);
    assert.equal(done?.status, "completed");
    assert.equal(done?.targets[1].address, "::1");
    assert.equal((await store.getTest(meta.id))?.status, "completed");
    assert.equal((await store.probes(meta.id)).length, 20);
    assert.equal((await store.getSummary(meta.id))?.length, 2);
  }, 50);
});

Deno.test("stop() ends a running test as stopped; a second stop is 409", async () => {
  await withRunner(async (runner) => {
    const meta = await runner.start({
      targets: ["localhost-v4"],
      interval_ms: 20,
      duration_s: 60,
      timeout_ms: 200,
    });
    await new Promise((r) => setTimeout(r, 100));
    await runner.stop(meta.id);
    await runner.finished(meta.id);
    const done = await runner.get(meta.id);
    assert.equal(done?.status, "stopped");
    await assert.rejects(
      runner.stop(meta.id),
      (e) => e instanceof ConflictError && problemOf(e)?.status === 409,
    );
    await assert.rejects(
      runner.stop("nope"),
      (e) => e instanceof NotFoundError && problemOf(e)?.status === 404,
    );
    await runner.delete(meta.id);
    assert.equal(await runner.get(meta.id), null);
  });
});

Deno.test("requests are checked against the config limits", async () => {
  await withRunner(async (runner) => {
    const bad = async (body: unknown, status: number, field: string) => {
      await assert.rejects(runner.start(body), (e) => {
        assert.ok(e instanceof InvalidRequestError, String(e));
        assert.equal(problemOf(e)?.status, status);
        assert.equal(e.field, field);
        assert.ok(e.message.includes(field.split(".")[0]), e.message);
        return true;
      });
    };
    await bad({ targets: ["nope"], count: 1 }, 422, "targets.0");
    await bad(
      { targets: ["localhost-v4"], interval_ms: 1, count: 1 },
      422,
      "interval_ms",
    );
    await bad({ targets: ["localhost-v4"] }, 422, "duration_s");
    await bad(
      { targets: ["localhost-v4"], count: 1, duration_s: 1 },
      422,
      "count",
    );
    await bad(
      { targets: ["localhost-v4"], duration_s: 999999 },
      422,
      "duration_s",
    );
    await bad({ targets: [], count: 1 }, 422, "targets");
    await bad({ targets: ["localhost-v4"], count: 1, size: 2 }, 422, "size");
    await bad({ targets: ["localhost-v4"], count: 1, extra: 1 }, 422, "extra");
    await bad([1], 422, "body");
    assert.equal(runner.running, 0);
  });
});

Deno.test("an invalid configured host is refused before probing (422)", async () => {
  const engine = Engine.create();
  const store = await KvStore.open(":memory:");
  const config = await loadConfig();
  config.servers.push({
    id: "bad",
    name: "Bad",
    host: "not a host!", // rejected before any DNS lookup
    group: "x",
    tags: [],
    description: "",
  });
  const runner = new Runner({ engine, config, store });
  try {
    await assert.rejects(
      runner.start({ targets: ["bad"], count: 1 }),
      (e) =>
        e instanceof InvalidRequestError && problemOf(e)?.status === 422 &&
        e.field === "targets.0" &&
        /cannot resolve host 'not a host!'/.test(e.message),
    );
    assert.deepEqual(await runner.list(), []);
  } finally {
    await runner.close();
    await engine.close();
    await store.close();
  }
});

Deno.test("max_concurrent_tests is enforced with 429; old tests are pruned", async () => {
  const engine = Engine.create();
  const store = await KvStore.open(":memory:");
  const config = await loadConfig();
  config.limits.max_concurrent_tests = 1;
  const runner = new Runner({ engine, config, store });
  try {
    const first = await runner.start({
      targets: ["localhost-v4"],
      interval_ms: 20,
      duration_s: 30,
      timeout_ms: 200,
    });
    await assert.rejects(
      runner.start({ targets: ["localhost-v6"], count: 1 }),
      (e) => e instanceof LimitError && problemOf(e)?.status === 429,
    );
    await runner.stop(first.id);
    await runner.finished(first.id);
    assert.deepEqual(await runner.prune(), []);
    const later = Date.now() + (config.retention_days + 1) * 86_400_000;
    assert.deepEqual(await runner.prune(later), [first.id]);
    assert.equal(await runner.get(first.id), null);
  } finally {
    await runner.close();
    await engine.close();
    await store.close();
  }
});

Deno.test("a live test keeps only its newest events in memory; replays read the rest from the store", async () => {
  await withRunner(
    async (runner) => {
      const meta = await runner.start({
        targets: ["localhost-v4", "localhost-v6"],
        interval_ms: 10,
        count: 60,
        timeout_ms: 500,
      });
      const hub = (await runner.hub(meta.id))!;
      let most = 0;
      const watch = setInterval(() => most = Math.max(most, hub.retained), 1);
      const early = collect(runner, meta.id);
      await runner.finished(meta.id);
      clearInterval(watch);
      assert.ok(most <= 2 * 20, `${most} events in memory (keep 20)`);
      assert.equal(
        hub.retained,
        0,
        "a finished test's events live in the store",
      );
      for (const events of [await early, await collect(runner, meta.id)]) {
        assert.deepEqual(events.map((e) => e.id), events.map((_, i) => i + 1));
        assert.equal(events.filter((e) => e.type === "probe").length, 120);
        assert.equal(events.at(-1)?.type, "end");
      }
    },
    1000,
    20,
  );
});
