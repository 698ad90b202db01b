// GET /api/tests/{id}/series and /distribution through app.request(), over a
// real KV store holding a long test written by testing/stored_big_test.ts.
import assert from "node:assert/strict";
import type { SeriesResponse } from "../../model/series.ts";
import {
  assertProblem,
  postJson,
  withApiKit,
} from "../../testing/api_testkit.ts";
import { checkResponse } from "../../testing/openapi_check.ts";
import { storeBigTest } from "../../testing/stored_big_test.ts";
import { SeriesService } from "./series_service.ts";

const sum = (a: number[]) => a.reduce((s, v) => s + v, 0);

Deno.test("series: overview, zoom to single probes, documented, cached", async () => {
  await withApiKit(async ({ app, runner, store }) => {
    const plan = await storeBigTest(store, { id: "day", probes: 20_000 });
    const doc = await (await app.request("/api/openapi.json")).json();
    const path = "/api/tests/{id}/series";
    assert.ok(doc.paths[path]?.get, "series is in the OpenAPI document");
    assert.ok(doc.paths["/api/tests/{id}/distribution"]?.get);
    const params = doc.paths[path].get.parameters.map((p: { name: string }) =>
      p.name
    );
    assert.deepEqual(params.sort(), ["from", "id", "points", "to"]);
    const get = async (q = "") =>
      await checkResponse(
        doc,
        "get",
        path,
        await app.request(`/api/tests/day/series${q}`),
      ) as SeriesResponse;

    // The whole test in 1000 buckets (the default), the loss and spike kept.
    const all = await get();
    assert.equal(all.raw, false);
    assert.equal(all.points, 1000);
    assert.equal(all.from, plan.at(0));
    assert.equal(all.to, plan.at(19_999));
    assert.equal(all.probes, 20_000);
    const [s] = all.targets;
    assert.equal(s.t.length, 1000);
    assert.equal(sum(s.count), 20_000);
    assert.equal(sum(s.lost), 1);
    assert.equal(Math.max(...s.max.map(Number)), 250);
    assert.ok(Math.abs(all.bucket_ms - 19_999 * 1000 / 1000) < 1e-6);

    // Zoom around the lost probe: 61 probes <= 100 points, so raw.
    const mid = plan.lost[0];
    const zoom = await get(
      `?from=${plan.at(mid - 30)}&to=${plan.at(mid + 30)}&points=100`,
    );
    assert.equal(zoom.raw, true);
    assert.equal(zoom.bucket_ms, 0);
    const z = zoom.targets[0];
    assert.equal(z.t.length, 61);
    assert.equal(z.index![30], mid);
    assert.equal(z.status![30], "lost");
    assert.equal(z.median[30], null);
    assert.equal(sum(z.lost), 1);

    // ISO times name the same range.
    const iso = await get(
      `?from=${new Date(plan.at(mid - 30)).toISOString()}&to=${
        new Date(plan.at(mid + 30)).toISOString()
      }&points=100`,
    );
    assert.deepEqual(iso.targets, zoom.targets);

    // A finished test's index is built once, then served from the cache.
    const service = new SeriesService(runner);
    await service.series("day", { points: 500 });
    await service.series("day", { points: 10, from: plan.at(5) });
    await service.distribution("day");
    assert.equal(service.cache.builds, 1);
    assert.ok(service.cache.has("day"));

    // Distribution: percentiles 0..100, the counts.
    const dist = await checkResponse(
      doc,
      "get",
      "/api/tests/{id}/distribution",
      await app.request("/api/tests/day/distribution"),
    ) as {
      targets: {
        sent: number;
        lost: number;
        cdf: { p: number[]; rtt_ms: number[] };
      }[];
    };
    const d = dist.targets[0];
    assert.equal(d.sent, 20_000);
    assert.equal(d.lost, 1);
    assert.equal(d.cdf.p.length, 101);
    assert.equal(d.cdf.rtt_ms[100], 250);
    assert.ok(d.cdf.rtt_ms[0] >= 0.2 && d.cdf.rtt_ms[50] < 0.31);

    // Deleted: a 404, not the answer remembered from before.
    await runner.delete("day");
    assert.equal((await app.request("/api/tests/day/series")).status, 404);
    await assert.rejects(service.series("day", { points: 500 }), /no test/);
  }, { keepFinished: 0 });
});

Deno.test("series: bad queries are 422 naming the field, unknown tests 404", async () => {
  await withApiKit(async ({ app, store }) => {
    await storeBigTest(store, { id: "small", probes: 100 });
    const doc = await (await app.request("/api/openapi.json")).json();
    const bad = async (q: string, status: number, field: string) => {
      const res = await app.request(`/api/tests/small/series${q}`);
      await checkResponse(doc, "get", "/api/tests/{id}/series", res.clone());
      await assertProblem(res, status, field);
    };
    await bad("?from=2000&to=1000", 422, "from");
    await bad("?points=0", 422, "points");
    await bad("?points=5001", 422, "points");
    await bad("?points=1.5", 422, "points");
    await bad("?from=yesterday", 422, "from");
    await bad("?to=2026-13-45T00:00:00Z", 422, "to");
    await bad("?points=5&points=6", 422, "points");
    const unknown = await app.request("/api/tests/nosuch/series");
    assert.equal(unknown.status, 404);
    assert.match((await unknown.json()).detail, /nosuch/);
    assert.equal((await app.request("/api/tests/BAD!/series")).status, 404);
    assert.equal(
      (await app.request("/api/tests/nosuch/distribution")).status,
      404,
    );
    // Small ranges are served raw: every probe, however many points.
    const raw = await (await app.request("/api/tests/small/series")).json();
    assert.equal(raw.raw, true);
    assert.equal(raw.targets[0].t.length, 100);
  }, { keepFinished: 0 });
});

Deno.test("series of a running test is read fresh, not cached", async () => {
  await withApiKit(async (kit) => {
    const res = await postJson(kit.app, "/api/tests", {
      targets: ["localhost-v4"],
      count: 40,
      interval_ms: 10,
      timeout_ms: 200,
    });
    assert.equal(res.status, 201);
    const { id } = await res.json();
    const service = new SeriesService(kit.runner);
    const early = await service.series(id, { points: 1000 });
    assert.ok(early.probes <= 40);
    await kit.runner.finished(id);
    // Until the end the log grows: nothing was cached while it ran.
    assert.equal(service.cache.has(id), early.status !== "running");
    const done = await service.series(id, { points: 1000 });
    assert.equal(done.status, "completed");
    assert.equal(done.probes, 40);
    assert.equal(done.raw, true);
    assert.ok(service.cache.has(id));
    // What the service does when a test ends (server/main.ts): build ahead.
    const warmed = new SeriesService(kit.runner);
    await warmed.warm(id);
    assert.ok(warmed.cache.has(id));
    await warmed.series(id, { points: 10 });
    assert.equal(warmed.cache.builds, 1);
  });
});
