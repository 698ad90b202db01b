import assert from "node:assert/strict";
import {
  assertProblem,
  quickTest,
  withApiKit,
} from "../../testing/api_testkit.ts";

Deno.test("GET /api/tests pages newest first with a cursor", async () => {
  await withApiKit(async (kit) => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push(await quickTest(kit, i === 1 ? "localhost-v6" : "localhost-v4"));
      await new Promise((r) => setTimeout(r, 5));
    }
    const newest = [...ids].reverse();

    const all = await (await kit.app.request("/api/tests")).json();
    assert.deepEqual(all.tests.map((t: { id: string }) => t.id), newest);
    assert.equal(all.next_cursor, null);
    assert.equal(all.tests[0].links.self, `/api/tests/${newest[0]}`);

    const p1 = await (await kit.app.request("/api/tests?limit=2")).json();
    assert.deepEqual(
      p1.tests.map((t: { id: string }) => t.id),
      newest.slice(0, 2),
    );
    assert.equal(typeof p1.next_cursor, "string");
    const p2 = await (await kit.app.request(
      `/api/tests?limit=2&cursor=${encodeURIComponent(p1.next_cursor)}`,
    )).json();
    assert.deepEqual(
      p2.tests.map((t: { id: string }) => t.id),
      newest.slice(2),
    );
    assert.equal(p2.next_cursor, null);

    const v6 = await (await kit.app.request("/api/tests?target=localhost-v6"))
      .json();
    assert.deepEqual(v6.tests.map((t: { id: string }) => t.id), [ids[1]]);

    const done = await (await kit.app.request("/api/tests?status=completed"))
      .json();
    assert.equal(done.tests.length, 3);
    const running = await (await kit.app.request("/api/tests?status=running"))
      .json();
    assert.equal(running.tests.length, 0);

    const t1 = all.tests.find((t: { id: string }) => t.id === ids[1]);
    const from = await (await kit.app.request(
      `/api/tests?from=${encodeURIComponent(t1.created_at)}`,
    )).json();
    assert.deepEqual(from.tests.map((t: { id: string }) => t.id), [
      ids[2],
      ids[1],
    ]);
    const to = await (await kit.app.request(
      `/api/tests?to=${encodeURIComponent(t1.created_at)}`,
    )).json();
    assert.deepEqual(to.tests.map((t: { id: string }) => t.id), [ids[0]]);
    const future = await (await kit.app.request(
      "/api/tests?from=2999-01-01T00:00:00Z",
    )).json();
    assert.deepEqual(future.tests, []);
  });
});

Deno.test("GET /api/tests rejects bad parameters with 400 naming them", async () => {
  await withApiKit(async ({ app }) => {
    for (
      const [query, field] of [
        ["limit=0", "limit"],
        ["limit=abc", "limit"],
        ["limit=1001", "limit"],
        ["cursor=%%%", "cursor"],
        ["cursor=bm9wZQ", "cursor"],
        ["target=mars", "target"],
        ["status=sleeping", "status"],
        ["from=yesterday", "from"],
        ["to=2024-13-45T00:00:00Z", "to"],
        ["from=2025-01-02T00:00:00Z&to=2025-01-01T00:00:00Z", "to"],
      ]
    ) {
      await assertProblem(await app.request(`/api/tests?${query}`), 400, field);
    }
  });
});
