// Reads that stay bounded as history grows: a samples page reads the chunks
// from its cursor only; concurrent replays of a finished test share one
// store read per chunk; a resumed replay has no gap and no duplicate.
import assert from "node:assert/strict";
import { withApiKit } from "../../testing/api_testkit.ts";
import {
  storedEvents,
  storedMeta,
  storeFinishedTest,
} from "../../testing/stored_history.ts";
import { parseSseJson } from "../../testing/sse.ts";

const PROBES = 20_000;

Deno.test("samples pages and replays of a long finished test read only what they return, shared between readers", async () => {
  await withApiKit(async ({ app, store, runner }) => {
    const meta = storedMeta(1, { id: "big" });
    await storeFinishedTest(store, meta, PROBES, 100);
    const all = [...storedEvents(meta.id, PROBES, 100)].flat();
    let chunks = 0;
    for await (const _ of store.kv.list({ prefix: ["ev", meta.id] })) chunks++;
    assert.ok(chunks > 50, `${chunks} chunks`);

    // A page in the middle: a few chunks, not the whole log.
    const cursor = all[Math.floor(all.length * 0.75)].id;
    const before = store.reads.listed;
    const res = await app.request(
      `/api/tests/${meta.id}/samples?limit=100&cursor=${cursor}`,
    );
    const page = await res.json();
    const read = store.reads.listed - before;
    assert.ok(read <= 6, `samples page listed ${read} of ${chunks} chunks`);
    const want = all.filter((e) => e.id > cursor && e.type === "probe")
      .slice(0, 100);
    assert.deepEqual(page.probes, want.map((e) => e.data));
    assert.equal(page.next_cursor, String(want.at(-1)!.id));
    assert.ok(page.has_more);
    // Its series: the interval reports within the page's stretch only.
    assert.deepEqual(
      page.series,
      all.filter((e) =>
        e.type === "interval" && e.id > cursor && e.id <= want.at(-1)!.id
      ).map((e) => e.data),
    );

    // Two concurrent replays: one store read per chunk between them.
    const reads0 = store.reads.listed;
    const replay = async () =>
      await (await app.request(`/api/tests/${meta.id}/events`)).text();
    const [a, b] = await Promise.all([replay(), replay()]);
    const replayReads = store.reads.listed - reads0;
    const ea = parseSseJson(a);
    assert.equal(ea.length, all.length);
    assert.deepEqual(ea.map((e) => e.id), all.map((e) => e.id));
    assert.equal(a, b);
    // lastEvent (1 read) + at most one read per chunk (+1 for the end).
    assert.ok(
      replayReads <= chunks + 3,
      `two replays listed ${replayReads} entries for ${chunks} chunks`,
    );
    assert.equal(await runner.hub(meta.id), await runner.hub(meta.id));

    // Resume from the middle of a chunk: no gap, no duplicate.
    const resumeAt = all[Math.floor(all.length / 3)].id + 1;
    const resumed = parseSseJson(
      await (await app.request(`/api/tests/${meta.id}/events`, {
        headers: { "last-event-id": String(resumeAt) },
      })).text(),
    );
    assert.deepEqual(
      resumed.map((e) => e.id),
      all.filter((e) => e.id > resumeAt).map((e) => e.id),
    );
    assert.deepEqual(resumed.at(-1)?.event, "end");
  }, { keepFinished: 0 });
});
