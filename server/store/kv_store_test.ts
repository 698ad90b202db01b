import assert from "node:assert/strict";
import { CHUNK_BYTES, KvStore } from "./kv_store.ts";
import type { TestMeta } from "../../model/run.ts";
import type { ProbeRecord } from "../../model/probe.ts";

const meta = (
  id: string,
  created_at: string,
  status: TestMeta["status"] = "completed",
): TestMeta => ({
  id,
  status,
  created_at,
  finished_at: null,
  settings: { interval_ms: 1000, count: 3, timeout_ms: 1000, size: 56 },
  targets: [{
    id: "localhost-v4",
    name: "L",
    host: "127.0.0.1",
    address: null,
  }],
});

const rec = (index: number): ProbeRecord & { timestamp: string } => ({
  timestamp: new Date(1_700_000_000_000 + index).toISOString(),
  target: "localhost-v4",
  address: "127.0.0.1",
  index,
  seq: index & 0xffff,
  sent_at: 1_700_000_000_000 + index,
  rtt_ms: 0.05,
  status: "ok",
  ttl: 64,
  ts_source: "kernel",
});

const ev = (index: number) => ({
  id: index + 1,
  type: "probe" as const,
  data: rec(index),
});

Deno.test("tests list newest first; summaries round-trip", async () => {
  const store = await KvStore.open(":memory:");
  try {
    await store.saveTest(meta("a", "2026-01-01T00:00:00.000Z"));
    await store.saveTest(meta("b", "2026-01-02T00:00:00.000Z"));
    assert.deepEqual((await store.listTests()).tests.map((t) => t.id), [
      "b",
      "a",
    ]);
    assert.equal((await store.getTest("a"))?.status, "completed");
    assert.equal(await store.getTest("zz"), null);
    await store.saveSummary("a", []);
    assert.deepEqual(await store.getSummary("a"), []);
  } finally {
    await store.close();
  }
});

Deno.test("probe records go to chunks below 64 KiB and come back in order", async () => {
  const store = await KvStore.open(":memory:", { flushEveryMs: 60_000 });
  try {
    for (let i = 0; i < 500; i++) store.appendEvent("t", ev(i));
    await store.flush();
    for (let i = 500; i < 1500; i++) store.appendEvent("t", ev(i));
    await store.flush();
    const back = await store.probes("t");
    assert.equal(back.length, 1500);
    assert.deepEqual(back.map((r) => r.index), [...Array(1500).keys()]);
    assert.ok(CHUNK_BYTES < 64 * 1024);
    await store.deleteTest("t");
    assert.deepEqual(await store.probes("t"), []);
  } finally {
    await store.close();
  }
});

Deno.test("the timer flushes buffered records within a second", async () => {
  const store = await KvStore.open(":memory:", { flushEveryMs: 50 });
  try {
    store.appendEvent("t", ev(0));
    await new Promise((r) => setTimeout(r, 150));
    assert.equal((await store.probes("t")).length, 1);
  } finally {
    await store.close();
  }
});

Deno.test("on open, tests left running become interrupted", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/pla.kv`;
  try {
    const first = await KvStore.open(path);
    await first.saveTest(meta("r", "2026-01-01T00:00:00.000Z", "running"));
    await first.saveTest(meta("c", "2026-01-01T00:00:01.000Z"));
    await first.close();
    const second = await KvStore.open(path);
    try {
      const r = await second.getTest("r");
      assert.equal(r?.status, "interrupted");
      assert.ok(r?.finished_at);
      assert.equal((await second.getTest("c"))?.status, "completed");
    } finally {
      await second.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("pruning deletes finished tests ended before the cutoff", async () => {
  const store = await KvStore.open(":memory:");
  try {
    await store.saveTest({
      ...meta("old", "2026-01-01T00:00:00.000Z"),
      finished_at: "2026-01-01T00:01:00.000Z",
    });
    await store.saveTest(meta("run", "2026-01-01T00:00:00.000Z", "running"));
    await store.saveTest(meta("new", "2026-03-01T00:00:00.000Z"));
    store.appendEvent("old", ev(0));
    await store.flush();
    const gone = await store.pruneFinishedBefore(
      Date.parse("2026-02-01T00:00:00.000Z"),
    );
    assert.deepEqual(gone, ["old"]);
    assert.deepEqual((await store.listTests()).tests.map((t) => t.id).sort(), [
      "new",
      "run",
    ]);
    assert.deepEqual(await store.probes("old"), []);
  } finally {
    await store.close();
  }
});

Deno.test("events keep their ids; buffered ones are read too; series", async () => {
  const store = await KvStore.open(":memory:", { flushEveryMs: 60_000 });
  try {
    store.appendEvent("t", {
      id: 1,
      type: "status",
      data: { id: "t", status: "running" },
    });
    store.appendEvent("t", ev(1));
    await store.flush();
    store.appendEvent("t", {
      id: 3,
      type: "interval",
      data: { sent: 1 } as never,
    });
    store.appendEvent("t", {
      id: 4,
      type: "end",
      data: { id: "t", status: "completed" },
    });
    assert.deepEqual((await store.events("t")).map((e) => e.id), [1, 2, 3, 4]);
    assert.deepEqual((await store.events("t", 2)).map((e) => e.type), [
      "interval",
      "end",
    ]);
    assert.deepEqual(await store.series("t"), [{ sent: 1 }]);
    await store.flush();
    assert.deepEqual((await store.events("t")).map((e) => e.id), [1, 2, 3, 4]);
    assert.equal((await store.probes("t"))[0].index, 1);
  } finally {
    await store.close();
  }
});
