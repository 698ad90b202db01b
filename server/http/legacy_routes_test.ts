import assert from "node:assert/strict";
import {
  assertProblem,
  postJson,
  withApiKit,
} from "../../testing/api_testkit.ts";

Deno.test("seed aliases forward to the /api handlers", async () => {
  await withApiKit(async ({ app, runner }) => {
    assert.deepEqual(
      await (await app.request("/servers")).json(),
      await (await app.request("/api/servers")).json(),
    );

    const res = await postJson(app, "/start_test", {
      targets: ["localhost-v4"],
      count: 3,
      interval_ms: 10,
      timeout_ms: 200,
    });
    assert.equal(res.status, 201);
    const created = await res.json();
    assert.equal(res.headers.get("location"), `/api/tests/${created.id}`);

    const live = await app.request(`/live/${created.id}?probes=0`);
    assert.equal(live.headers.get("content-type"), "text/event-stream");
    const text = await live.text();
    assert.ok(text.includes("event: end"), text);
    assert.ok(!text.includes("event: probe"), "query string kept");
    await runner.finished(created.id);

    const one = await app.request(`/results/${created.id}`);
    assert.equal(one.status, 200);
    const body = await one.json();
    assert.equal(body.id, created.id);
    assert.equal(body.status, "completed");

    // Same validation and errors as the /api routes.
    await assertProblem(
      await postJson(app, "/start_test", "{nope"),
      400,
      "body",
    );
    await assertProblem(
      await postJson(app, "/start_test", {
        targets: ["localhost-v4"],
        count: 1,
        interval_ms: 1,
      }),
      422,
      "interval_ms",
    );
    await assertProblem(await app.request("/results/nope"), 404, "id");
    await assertProblem(await app.request("/live/nope"), 404, "id");
    await assertProblem(
      await app.request(`/live/${created.id}`, {
        headers: { "last-event-id": "-1" },
      }),
      400,
      "Last-Event-ID",
    );
    // Headers are forwarded: a replay after Last-Event-ID 2 starts at 3.
    const replay = await (await app.request(`/live/${created.id}`, {
      headers: { "last-event-id": "2" },
    })).text();
    assert.ok(/^id: 3$/m.test(replay) && !/^id: 2$/m.test(replay), replay);
  });
});
