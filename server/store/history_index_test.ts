// The history indexes: listings with filters and a cursor give the same pages
// as filtering the whole list, reading only O(limit) index entries; status
// changes move a test between status listings; the old layout is migrated.
import assert from "node:assert/strict";
import { KvStore } from "./kv_store.ts";
import { SCHEMA_VERSION } from "./kv_layout.ts";
import { pageTests, toStoreQuery } from "../runs/run_list.ts";
import { listQueryOf, testListQuery } from "../http/api_params.ts";
import { parseQuery } from "../http/validation.ts";
import { encodeCursor } from "../runs/run_list.ts";
import { parseConfig } from "../config/config.ts";
import type { TestMeta } from "../../model/run.ts";
import { storedEvents, storedMeta } from "../../testing/stored_history.ts";

const config = parseConfig(
  `auth: { mode: open }
servers:
  - { id: a, name: A, host: 127.0.0.1 }
  - { id: b, name: B, host: 127.0.0.1 }
  - { id: c, name: C, host: 127.0.0.1 }
`,
  "test.yaml",
);

const STATUSES = ["completed", "stopped", "failed", "interrupted"] as const;

function history(n: number): TestMeta[] {
  return Array.from({ length: n }, (_, i) =>
    storedMeta(
      // Some share a creation time: the id orders them.
      Math.floor(i / 3),
      {
        id: `x${String(i * 7919 % 1000).padStart(4, "0")}-${i}`,
        targets: i % 5 === 0 ? ["a", "b"] : [["a", "b", "c"][i % 3]],
        status: STATUSES[i % 4],
      },
    ));
}

Deno.test("listings by the indexes equal the full-list reference, page by page, reading O(limit) entries", async () => {
  const store = await KvStore.open(":memory:");
  try {
    const all = history(300);
    for (const m of all) await store.saveTest(m);
    const newestFirst = [...all].sort((x, y) =>
      y.created_at.localeCompare(x.created_at) || y.id.localeCompare(x.id)
    );
    const queries: Record<string, string>[] = [
      {},
      { target: "a" },
      { status: "failed" },
      { target: "b", status: "completed" },
      { from: "2026-01-01T00:00:10Z", to: "2026-01-01T00:01:00Z" },
      { target: "c", from: "2026-01-01T00:00:20Z" },
      { status: "stopped", to: "2026-01-01T00:00:40.000Z" },
    ];
    for (const raw of queries) {
      for (const limit of [1, 7, 50]) {
        let cursor: string | undefined;
        let pages = 0;
        do {
          const q = listQueryOf(
            parseQuery(testListQuery(config.servers), {
              ...raw,
              limit: String(limit),
              cursor,
            }),
          );
          const want = pageTests(newestFirst, q);
          const before = { ...store.reads };
          const got = await store.listTests(toStoreQuery(q));
          const listed = store.reads.listed - before.listed;
          const gotKeys = store.reads.got - before.got;
          assert.deepEqual(
            got.tests.map((t) => t.id),
            want.tests.map((t) => t.id),
            JSON.stringify({ raw, limit, cursor }),
          );
          const next = got.more ? encodeCursor(got.tests.at(-1)!) : null;
          assert.equal(next, want.next_cursor);
          assert.ok(listed <= limit + 1, `listed ${listed} for limit ${limit}`);
          assert.ok(gotKeys <= limit, `got ${gotKeys} for limit ${limit}`);
          cursor = next ?? undefined;
          pages++;
        } while (cursor && pages < 400);
      }
    }
  } finally {
    await store.close();
  }
});

Deno.test("a status change moves the test between status listings, atomically with the record", async () => {
  const store = await KvStore.open(":memory:");
  try {
    const m = storedMeta(1, { status: "running", targets: ["a"] });
    await store.saveTest(m);
    const ids = async (q: { status?: string; target?: string }) =>
      (await store.listTests({ limit: 10, ...q })).tests.map((t) => t.id);
    assert.deepEqual(await ids({ status: "running" }), [m.id]);
    assert.deepEqual(await ids({ status: "running", target: "a" }), [m.id]);
    await store.saveTest({ ...m, status: "completed" });
    assert.deepEqual(await ids({ status: "running" }), []);
    assert.deepEqual(await ids({ status: "running", target: "a" }), []);
    assert.deepEqual(await ids({ status: "completed" }), [m.id]);
    assert.deepEqual(await ids({ status: "completed", target: "a" }), [m.id]);
    assert.deepEqual(await ids({}), [m.id]);
    // Leaves no index entry behind when deleted.
    await store.deleteTest(m.id);
    let left = 0;
    for await (const e of store.kv.list({ prefix: [] })) {
      if (String(e.key[0]).startsWith("tests")) left++;
    }
    assert.equal(left, 0);
  } finally {
    await store.close();
  }
});

Deno.test("a schema-1 KV file is migrated at open: chunks by first event id, indexes, running -> interrupted", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/pla.kv`;
  try {
    const kv = await Deno.openKv(path);
    const done = storedMeta(1, { id: "old-done" });
    const running = storedMeta(2, { id: "old-run", status: "running" });
    await kv.set(["tests", done.id], done);
    await kv.set(["tests", running.id], running);
    const events = [...storedEvents(done.id, 600, 100, 1_000_000)].flat();
    // The old layout: ["events", id, n], n = 0, 1, 2, ...
    for (let n = 0; n * 200 < events.length; n++) {
      await kv.set(
        ["events", done.id, n],
        JSON.stringify(events.slice(n * 200, (n + 1) * 200)),
      );
    }
    await kv.set(
      ["events", running.id, 0],
      JSON.stringify([...storedEvents(running.id, 3)][0].slice(0, 4)),
    );
    kv.close();

    const store = await KvStore.open(path);
    try {
      assert.equal((await store.kv.get(["schema"])).value, SCHEMA_VERSION);
      assert.deepEqual(
        (await store.events(done.id)).map((e) => e.id),
        events.map((e) => e.id),
      );
      assert.deepEqual((await store.events(done.id, 450)).map((e) => e.id), [
        ...events.slice(450).map((e) => e.id),
      ]);
      let old = 0;
      for await (const _ of store.kv.list({ prefix: ["events"] })) old++;
      assert.equal(old, 0);
      const listed = (await store.listTests({ limit: 10 })).tests;
      assert.deepEqual(listed.map((t) => [t.id, t.status]), [
        ["old-run", "interrupted"],
        ["old-done", "completed"],
      ]);
      const tail = await store.events(running.id);
      assert.deepEqual(tail.map((e) => e.type).slice(-2), ["status", "end"]);
      assert.deepEqual(tail.map((e) => e.id), [1, 2, 3, 4, 5, 6]);
    } finally {
      await store.close();
    }
    // Opening again changes nothing.
    const again = await KvStore.open(path);
    try {
      assert.equal((await again.events(done.id)).length, events.length);
    } finally {
      await again.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("chunkAfter and eventChunks read from the cursor, not from the start", async () => {
  const store = await KvStore.open(":memory:", { flushEveryMs: 60_000 });
  try {
    const all = [...storedEvents("t", 3000, 100)].flat();
    for (const ev of all) store.appendEvent("t", ev);
    await store.flush();
    let chunks = 0;
    for await (const _ of store.kv.list({ prefix: ["ev", "t"] })) chunks++;
    assert.ok(chunks >= 10, `${chunks} chunks`);
    const before = store.reads.listed;
    const c = await store.chunkAfter("t", 2000);
    assert.ok(c[0].id <= 2001 && c.at(-1)!.id >= 2001);
    assert.ok(store.reads.listed - before <= 1);
    const gen = store.eventChunks("t", 2500);
    const first = (await gen.next()).value as { id: number }[];
    await gen.return(undefined);
    assert.ok(first.some((e) => e.id === 2501));
    assert.ok(store.reads.listed - before <= 1 + 1 + 4, "a batch at most");
  } finally {
    await store.close();
  }
});
