// The behaviour every RunStore must have, run on each implementation
// (server/store/kv_run_store_test.ts, server/store/pg/pg_run_store_test.ts):
// records and listings, summaries and paths, event logs (buffered and
// stored), deletion, pruning, interrupted tests and failed writes.
import assert from "node:assert/strict";
import type { RunEvent } from "../model/events.ts";
import type { TestMeta, TestStatus } from "../model/run.ts";
import type { PathSummary } from "../model/path.ts";
import type { RunStore, TestListQuery } from "../server/store/run_store.ts";
import {
  report,
  storedEvents,
  storedMeta,
  storeFinishedTest,
} from "./stored_history.ts";

export interface OpenedStore {
  store: RunStore;
  close(): Promise<void>;
  /** Closes the store and opens another on the same data, as a restarted process would. */
  reopen(): Promise<RunStore>;
  /** Makes writes of events fail; the returned function repairs them. */
  breakWrites?(): Promise<() => Promise<void>>;
}

const probe = (test: string, id: number): RunEvent => ({
  id,
  type: "probe",
  data: {
    timestamp: new Date(1_700_000_000_000 + id).toISOString(),
    target: "localhost-v4",
    address: "127.0.0.1",
    index: id - 1,
    seq: id,
    sent_at: 1_700_000_000_000 + id,
    rtt_ms: id === 7 ? null : 0.05,
    status: id === 7 ? "lost" : "ok",
    ttl: 64,
    ts_source: "kernel",
    ...(test === "quote" ? { note: 'a "quoted" \\ text' } : {}),
  } as never,
});

const ids = (events: { id: number }[]) => events.map((e) => e.id);
const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** Registers the suite's tests (`ignore`: skipped, as a gated suite's). */
export function runStoreSuite(
  name: string,
  open: () => Promise<OpenedStore>,
  options: { ignore?: boolean } = {},
): void {
  const test = (what: string, fn: (o: OpenedStore) => Promise<void>) =>
    Deno.test({
      name: `${name}: ${what}`,
      ignore: options.ignore,
      async fn() {
        const o = await open();
        try {
          await fn(o);
        } finally {
          await o.close();
        }
      },
    });

  test("a record round-trips; getTests keeps the order asked", async ({ store }) => {
    const a = storedMeta(1, { id: "a", targets: ["x", "y"] });
    const { created_by: _, ...b } = storedMeta(2, { id: "b" });
    await store.saveTest(a);
    await store.saveTest(b);
    assert.deepEqual(await store.getTest("a"), a);
    assert.deepEqual(await store.getTest("b"), b);
    assert.equal(await store.getTest("zz"), null);
    assert.deepEqual(
      (await store.getTests(["b", "zz", "a"])).map((t) => t.id),
      ["b", "a"],
    );
    assert.deepEqual(await store.getTests([]), []);
    // Replaced, not added to.
    await store.saveTest({ ...a, status: "stopped" });
    assert.equal((await store.getTest("a"))?.status, "stopped");
    assert.equal((await store.listTests()).tests.length, 2);
  });

  test("listings: newest first, every filter, pages by cursor", async ({ store }) => {
    const statuses: TestStatus[] = ["completed", "stopped", "failed"];
    const all: TestMeta[] = [];
    for (let i = 0; i < 30; i++) {
      // Pairs share a creation time: the id breaks the tie.
      const meta = storedMeta(Math.floor(i / 2), {
        id: `t${String(i).padStart(2, "0")}`,
        targets: i % 3 === 0 ? ["x", "y"] : i % 3 === 1 ? ["x"] : ["y"],
        status: statuses[i % 3 === 0 ? 0 : i % 5 === 0 ? 1 : i % 2 + 1],
      });
      all.push(meta);
      await store.saveTest(meta);
    }
    const newest = [...all].sort((p, q) =>
      p.created_at === q.created_at
        ? q.id.localeCompare(p.id)
        : q.created_at.localeCompare(p.created_at)
    );
    const from = all[6].created_at, to = all[24].created_at;
    for (const target of [undefined, "x", "y", "nope"]) {
      for (const status of [undefined, "completed", "stopped", "failed"]) {
        for (
          const [fromIso, toIso] of [[], [from], [undefined, to], [from, to]]
        ) {
          const want = newest.filter((t) =>
            (target === undefined || t.targets.some((x) => x.id === target)) &&
            (status === undefined || t.status === status) &&
            (fromIso === undefined || t.created_at >= fromIso) &&
            (toIso === undefined || t.created_at < toIso)
          ).map((t) => t.id);
          const q: TestListQuery = { limit: 4, target, status, fromIso, toIso };
          const what = JSON.stringify(q);
          const got: string[] = [];
          for (let page = 0;; page++) {
            assert.ok(page < 20, what);
            const listed = store.reads.listed;
            const r = await store.listTests(q);
            // A page reads its own rows (and one more), never the rest.
            assert.ok(store.reads.listed - listed <= q.limit + 1, what);
            got.push(...r.tests.map((t) => t.id));
            assert.equal(r.more, got.length < want.length, what);
            if (!r.more) break;
            const last = r.tests.at(-1)!;
            q.after = [last.created_at, last.id];
          }
          assert.deepEqual(got, want, what);
        }
      }
    }
    // A status change moves a test between status listings; targets too.
    await store.saveTest({ ...all[0], status: "interrupted", targets: [] });
    assert.deepEqual(
      (await store.listTests({ limit: 10, status: "interrupted" })).tests
        .map((t) => t.id),
      ["t00"],
    );
    assert.ok(
      !(await store.listTests({ limit: 100, status: "completed" })).tests
        .some((t) => t.id === "t00"),
    );
    assert.ok(
      !(await store.listTests({ limit: 100, target: "x" })).tests
        .some((t) => t.id === "t00"),
    );
    // A cursor past `toIso` still stops at `toIso`.
    const capped = await store.listTests({
      limit: 100,
      toIso: to,
      after: [all[29].created_at, "zzz"],
    });
    assert.ok(capped.tests.every((t) => t.created_at < to));
  });

  test("summaries and path summaries round-trip; none is null", async ({ store }) => {
    await store.saveTest(storedMeta(1, { id: "s" }));
    assert.equal(await store.getSummary("s"), null);
    assert.equal(await store.getPaths("s"), null);
    const summary = [report("localhost-v4", 10, 0), report("x", 3, 1)];
    await store.saveSummary("s", summary);
    assert.deepEqual(await store.getSummary("s"), summary);
    const paths = [{ target: "a", hops: [] }, {
      target: "b",
      hops: [1],
    }] as unknown as PathSummary[];
    await store.savePaths("s", paths);
    assert.deepEqual(await store.getPaths("s"), paths);
  });

  test("events: buffered ones are read before and after a flush", async ({ store }) => {
    for (const id of ["t", "quote"]) {
      await store.saveTest(storedMeta(1, { id }));
    }
    for (let i = 1; i <= 5; i++) store.appendEvent("t", probe("t", i));
    store.appendEvent("quote", probe("quote", 1));
    assert.equal(await store.lastEvent("t"), null);
    assert.deepEqual(ids(await store.events("t")), range(1, 5));
    assert.deepEqual(ids(await store.events("t", 3)), [4, 5]);
    assert.deepEqual(ids(await store.chunkAfter("t", 2)).filter((i) => i > 2), [
      3,
      4,
      5,
    ]);
    await store.flush();
    for (let i = 6; i <= 9; i++) store.appendEvent("t", probe("t", i));
    assert.equal((await store.lastEvent("t"))?.id, 5);
    assert.deepEqual(
      await store.events("t"),
      range(1, 9).map((i) => probe("t", i)),
    );
    assert.deepEqual(ids(await store.events("t", 4)), range(5, 9));
    // The stored chunk holding 5, then the buffered rest.
    const text = await store.chunkTextAfter("t", 4);
    assert.ok(ids(JSON.parse(text)).includes(5));
    assert.ok(text.includes('{"id":5,"type":"probe","data":{'), text);
    const tail = await store.chunkTextAfter("t", 5);
    assert.deepEqual(ids(JSON.parse(tail)).filter((i) => i > 5), range(6, 9));
    assert.equal(await store.chunkTextAfter("t", 9), "[]");
    assert.deepEqual(await store.chunkAfter("t", 9), []);
    await store.flush();
    assert.equal((await store.lastEvent("t"))?.id, 9);
    assert.deepEqual(await store.events("quote"), [probe("quote", 1)]);
    const probes = await store.probes("t");
    assert.deepEqual(probes.map((p) => p.index), range(0, 8));
  });

  test("a long log reads back in bounded chunks, in order", async ({ store }) => {
    const meta = storedMeta(1, { id: "long" });
    await storeFinishedTest(store, meta, 12_000);
    const want = [...storedEvents("long", 12_000)].flat();
    const chunks: RunEvent[][] = [];
    for await (const c of store.eventChunks("long")) chunks.push(c);
    assert.ok(chunks.length > 2, `${chunks.length} chunks`);
    assert.ok(chunks.every((c) => c.length <= 5000));
    assert.deepEqual(chunks.flat(), want);
    assert.deepEqual((await store.lastEvent("long"))?.type, "end");
    // Resume from the middle: the chunk holding the next event.
    const mid = await store.chunkAfter("long", 6000);
    assert.ok(mid[0].id <= 6001 && mid.at(-1)!.id >= 6001);
    assert.deepEqual(
      ids(await store.events("long", 11_000)),
      range(11_001, want.length),
    );
    const series = await store.series("long");
    assert.equal(series.length, 12);
    // Stopping early reads no more.
    for await (const c of store.eventChunks("long", 100)) {
      assert.ok(c.some((e) => e.id === 101));
      break;
    }
  });

  test("deleting a test removes its record, listing rows and events", async ({ store }) => {
    await store.saveTest(storedMeta(1, { id: "d", targets: ["x"] }));
    await store.saveTest(storedMeta(2, { id: "k", targets: ["x"] }));
    for (const id of ["d", "k"]) {
      store.appendEvent(id, probe(id, 1));
    }
    await store.flush();
    await store.saveSummary("d", []);
    store.appendEvent("d", probe("d", 2));
    await store.deleteTest("d");
    await store.flush();
    assert.equal(await store.getTest("d"), null);
    assert.equal(await store.getSummary("d"), null);
    assert.deepEqual(await store.events("d"), []);
    assert.deepEqual(
      (await store.listTests({ limit: 10, target: "x" })).tests.map((t) =>
        t.id
      ),
      ["k"],
    );
    assert.deepEqual(ids(await store.events("k")), [1]);
    assert.equal(store.writeError, null);
  });

  test("pruning deletes finished tests ended before the cutoff", async ({ store }) => {
    const old = {
      ...storedMeta(0, { id: "old" }),
      finished_at: "2026-01-01T00:01:00.000Z",
    };
    const lateEnd = {
      ...storedMeta(1, { id: "late" }),
      finished_at: "2026-03-01T00:00:00.000Z",
    };
    await store.saveTest(old);
    await store.saveTest(lateEnd);
    await store.saveTest(storedMeta(2, { id: "run", status: "running" }));
    await store.saveTest({
      ...storedMeta(0, { id: "new", t0: Date.parse("2026-03-01T00:00:00Z") }),
    });
    store.appendEvent("old", probe("old", 1));
    await store.flush();
    const gone = await store.pruneFinishedBefore(
      Date.parse("2026-02-01T00:00:00.000Z"),
    );
    assert.deepEqual(gone, ["old"]);
    assert.deepEqual(
      (await store.listTests()).tests.map((t) => t.id).sort(),
      ["late", "new", "run"],
    );
    assert.deepEqual(await store.events("old"), []);
  });

  test("a test left running by a gone process ends interrupted, once", async (o) => {
    const run = storedMeta(1, { id: "run", status: "running" });
    run.finished_at = null;
    await o.store.saveTest(run);
    await o.store.saveTest(storedMeta(2, { id: "done" }));
    for (let i = 1; i <= 3; i++) o.store.appendEvent("run", probe("run", i));
    await o.store.flush();
    const store = await o.reopen();
    const meta = await store.getTest("run");
    assert.equal(meta?.status, "interrupted");
    assert.ok(meta?.finished_at);
    assert.equal((await store.getTest("done"))?.status, "completed");
    assert.deepEqual(
      (await store.listTests({
        limit: 5,
        status: "interrupted",
        target: "localhost-v4",
      }))
        .tests.map((t) => t.id),
      ["run"],
    );
    assert.ok(
      !(await store.listTests({ limit: 5, status: "running" })).tests.length,
    );
    const tail = (await store.events("run", 3)).map((e) => [e.type, e.data]);
    assert.deepEqual(tail, [
      ["status", { id: "run", status: "interrupted" }],
      ["end", { id: "run", status: "interrupted" }],
    ]);
    assert.equal(await store.markInterrupted(), 0);
    assert.equal((await store.events("run")).length, 5);
  });

  test("a failed write surfaces writeError; the events are kept and written later", async (o) => {
    if (!o.breakWrites) return;
    const { store } = o;
    await store.saveTest(storedMeta(1, { id: "w" }));
    const told: string[] = [];
    store.onWriteError((id) => told.push(id));
    const repair = await o.breakWrites();
    store.appendEvent("w", probe("w", 1));
    await store.flush();
    assert.ok(store.writeError, "writeError set");
    assert.deepEqual(told, ["w"]);
    assert.deepEqual(ids(await store.events("w")), [1]);
    store.appendEvent("w", probe("w", 2));
    await repair();
    await store.flush();
    assert.equal(store.writeError, null);
    assert.deepEqual(ids(await store.events("w")), [1, 2]);
    assert.equal((await store.lastEvent("w"))?.id, 2);
  });
}
