// Samples, export, live stats and the full replay of a finished test, through
// app.request() with a real engine probing loopback only and KV in memory.
import assert from "node:assert/strict";
import { withApiKit } from "../../testing/api_testkit.ts";
import type { Hono } from "hono";
import { csvRows, PROBE_COLUMNS } from "../../testing/csv.ts";
import { parseSseJson } from "../../testing/sse.ts";
import { Runner } from "./runner.ts";
import { samplesQuery } from "../http/api_params.ts";
import { problemOf } from "../http/problem.ts";
import { parseQuery } from "../http/validation.ts";

Deno.test("bad limit and cursor are 400 naming the parameter", () => {
  for (
    const [l, c, field] of [
      ["0", "", "limit"],
      ["x", "", "limit"],
      [
        "100001",
        "",
        "limit",
      ],
      ["", "-1", "cursor"],
      ["", "abc", "cursor"],
      ["1.5", "", "limit"],
    ]
  ) {
    assert.throws(
      () => parseQuery(samplesQuery, { limit: l, cursor: c }),
      (e) => problemOf(e)?.status === 400 && problemOf(e)?.body.field === field,
    );
  }
  assert.deepEqual(parseQuery(samplesQuery, {}), { limit: 1000, cursor: 0 });
});

// keepFinished 0: a finished test is read back from the store only.
const withApi = (fn: (app: Hono, runner: Runner) => Promise<void>) =>
  withApiKit(({ app, runner }) => fn(app, runner), {
    keepFinished: 0,
    heartbeatMs: 1000,
  });

const start = async (app: Hono, body: unknown) => {
  const res = await app.request("/api/tests", {
    method: "POST",
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 201);
  return (await res.json()).id as string;
};

Deno.test("a finished test replays in full with the live event ids; samples; export", async () => {
  await withApi(async (app, runner) => {
    const id = await start(app, {
      targets: ["localhost-v4", "localhost-v6"],
      interval_ms: 20,
      count: 15,
      timeout_ms: 500,
    });
    // Live statistics while it runs.
    const running = await (await app.request(`/api/tests/${id}`)).json();
    if (running.status === "running") {
      await new Promise((r) => setTimeout(r, 100));
      const again = await (await app.request(`/api/tests/${id}`)).json();
      if (again.status === "running") {
        assert.deepEqual(
          again.stats.map((s: { target: string }) => s.target),
          ["localhost-v4", "localhost-v6"],
        );
        assert.ok(typeof again.stats[0].sent === "number");
      }
    }
    const live = parseSseJson(
      await (await app.request(`/api/tests/${id}/events`)).text(),
    );
    await runner.finished(id);
    assert.equal(live.at(-1)?.event, "end");
    const done = await (await app.request(`/api/tests/${id}`)).json();
    assert.equal(done.status, "completed");
    assert.equal(done.stats, undefined);

    // Not in memory any more: rebuilt from KV, identical.
    const replay = parseSseJson(
      await (await app.request(`/api/tests/${id}/events`)).text(),
    );
    assert.deepEqual(replay, live);
    assert.deepEqual(replay.map((e) => e.id), replay.map((_, i) => i + 1));
    const types = replay.map((e) => e.event);
    assert.equal(types.filter((t) => t === "probe").length, 30);
    assert.ok(types.includes("interval"));
    assert.deepEqual(types.slice(-4), ["summary", "summary", "status", "end"]);
    const resumed = parseSseJson(
      await (await app.request(`/api/tests/${id}/events`, {
        headers: { "last-event-id": "10" },
      })).text(),
    );
    assert.deepEqual(resumed, live.slice(10));

    // Samples: pages of 7 cover every probe once, in order; their series put
    // together are the intervals, each once (a page holds only its stretch).
    const seen: Record<string, unknown>[] = [];
    let cursor = "";
    const series: unknown[] = [];
    for (let page = 0; page < 20; page++) {
      const res = await app.request(
        `/api/tests/${id}/samples?limit=7&cursor=${cursor}`,
      );
      assert.equal(res.status, 200);
      const body = await res.json();
      assert.ok(body.probes.length <= 7);
      seen.push(...body.probes);
      series.push(...body.series);
      cursor = body.next_cursor;
      if (!body.has_more) break;
    }
    const lastProbeId = live.filter((e) => e.event === "probe").at(-1)!.id;
    assert.equal(cursor, String(lastProbeId));
    const after = await (await app.request(
      `/api/tests/${id}/samples?cursor=${cursor}`,
    )).json();
    assert.deepEqual(
      [after.probes, after.next_cursor, after.has_more],
      [[], cursor, false],
    );
    assert.deepEqual(
      seen,
      live.filter((e) => e.event === "probe").map((e) => e.data),
    );
    assert.deepEqual(
      series,
      live.filter((e) => e.event === "interval").map((e) => e.data),
    );
    for (const [q, field] of [["limit=0", "limit"], ["cursor=zz", "cursor"]]) {
      const bad = await app.request(`/api/tests/${id}/samples?${q}`);
      assert.equal(bad.status, 400);
      assert.equal((await bad.json()).field, field);
    }
    assert.equal((await app.request("/api/tests/nope/samples")).status, 404);

    // Export.
    const csvRes = await app.request(`/api/tests/${id}/export?format=csv`);
    assert.equal(csvRes.status, 200);
    assert.match(csvRes.headers.get("content-type")!, /^text\/csv/);
    assert.match(
      csvRes.headers.get("content-disposition")!,
      /^attachment; filename="[^"]+\.csv"$/,
    );
    const rows = csvRows(await csvRes.text());
    assert.deepEqual(rows[0].slice(0, PROBE_COLUMNS.length + 1), [
      "record",
      ...PROBE_COLUMNS,
    ]);
    assert.ok(rows.every((r) => r.length === rows[0].length));
    assert.equal(rows.filter((r) => r[0] === "probe").length, 30);
    assert.equal(rows.filter((r) => r[0] === "summary").length, 2);
    const jsonRes = await app.request(`/api/tests/${id}/export?format=json`);
    assert.match(
      jsonRes.headers.get("content-disposition")!,
      /filename="[^"]+\.json"/,
    );
    const json = await jsonRes.json();
    assert.equal(json.probes.length, 30);
    assert.equal(json.summary.length, 2);
    for (const k of PROBE_COLUMNS) assert.ok(k in json.probes[0], k);
    const bad = await app.request(`/api/tests/${id}/export?format=xml`);
    assert.equal(bad.status, 400);
    assert.equal((await bad.json()).field, "format");
    assert.equal((await app.request("/api/tests/nope/export")).status, 404);
  });
});
