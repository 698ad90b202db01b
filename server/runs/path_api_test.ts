// "mode": "path" through the API (app.request, the real engine probing
// 127.0.0.1 only): validation, the probe-rate limit counting every hop,
// GET /api/tests/{id} paths, SSE replay and the exports.
import assert from "node:assert/strict";
import {
  assertProblem,
  postJson,
  quickTest,
  withApiKit,
} from "../../testing/api_testkit.ts";
import { csvRecords, csvRows } from "../../testing/csv.ts";
import { parseSseJson } from "../../testing/sse.ts";
import { HOP_COLUMNS } from "./export.ts";

const PATH_TEST = {
  targets: ["localhost-v4"],
  mode: "path",
  max_hops: 3,
  interval_ms: 100,
  count: 3,
  timeout_ms: 300,
};

Deno.test("POST /api/tests: bad mode or max_hops is a 422 naming the field; nothing started", async () => {
  await withApiKit(async ({ app, runner }) => {
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ mode: "trace" }, "mode", /mode must be 'ping' or 'path'/],
      [{ mode: 1 }, "mode", /mode must be 'ping' or 'path'/],
      [{ max_hops: 0 }, "max_hops", /at least 1/],
      [{ max_hops: 65 }, "max_hops", /at most 64/],
      [{ max_hops: 2.5 }, "max_hops", /whole number/],
      [{ max_hops: "30" }, "max_hops", /whole number/],
      [{ mode: "ping", max_hops: 30 }, "max_hops", /only for "mode": "path"/],
      [{ mode: undefined, max_hops: 30 }, "max_hops", /only for/],
      [{ ttl: 5 }, "ttl", /not with "mode": "path"/],
    ];
    for (const [change, field, detail] of cases) {
      const res = await postJson(app, "/api/tests", {
        ...PATH_TEST,
        ...change,
      });
      const body = await res.clone().json();
      await assertProblem(res, 422, field);
      assert.match(body.detail, detail, JSON.stringify(change));
    }
    assert.deepEqual(await runner.list(), []);
  });
});

const RATE_CONFIG = `
servers:
  - { id: localhost-v4, name: L4, host: 127.0.0.1 }
  - { id: localhost-v6, name: L6, host: "::1" }
auth: { mode: open }
limits: { max_pps: 100 }
`;

Deno.test("the probe rate counts every hop: under the limit as ping, refused as path, saying why", async () => {
  await withApiKit(async ({ app, runner }) => {
    const body = {
      targets: ["localhost-v4", "localhost-v6"],
      interval_ms: 100,
      count: 2,
      timeout_ms: 200,
    };
    // 2 targets × 30 hops (the default) every 100 ms: 600 probes/s > 100.
    const path = await postJson(app, "/api/tests", { ...body, mode: "path" });
    const detail = (await path.clone().json()).detail as string;
    await assertProblem(path, 422, "interval_ms");
    assert.match(
      detail,
      /path test probes every hop: 2 targets × 30 hops \(max_hops\) every 100 ms is 600 probes\/s, at most 100 \(limits\.max_pps\)/,
    );
    // 2 × 6 hops / 0.1 s = 120 > 100; 2 × 5 / 0.1 s = 100 fits.
    const six = await postJson(app, "/api/tests", {
      ...body,
      mode: "path",
      max_hops: 6,
    });
    assert.match((await six.json()).detail, /is 120 probes\/s/);
    assert.deepEqual(await runner.list(), []);
    // The same request as ping: 20 probes/s.
    const ping = await postJson(app, "/api/tests", body);
    assert.equal(ping.status, 201);
    const pingMeta = await ping.json();
    assert.equal(pingMeta.settings.mode, undefined, "a ping test is unchanged");
    await runner.finished(pingMeta.id);
    const five = await postJson(app, "/api/tests", {
      ...body,
      mode: "path",
      max_hops: 5,
    });
    assert.equal(five.status, 201);
    await runner.finished((await five.json()).id);
  }, { configYaml: RATE_CONFIG });
});

Deno.test("a path test through the API: paths in GET, hop/path over SSE (replayed), hop CSV and JSON exports", async () => {
  await withApiKit(async (kit) => {
    const { app, runner } = kit;
    const res = await postJson(app, "/api/tests", PATH_TEST);
    assert.equal(res.status, 201);
    const started = await res.json();
    assert.deepEqual(
      [started.settings.mode, started.settings.max_hops],
      ["path", 3],
    );
    // Followed live from the start (the stream ends with the test).
    const sse = await app.request(`/api/tests/${started.id}/events`);
    const live = parseSseJson(await sse.text());
    await runner.finished(started.id);
    const types = live.map((e) => e.event);
    assert.ok(types.includes("hop"), types.join(","));
    assert.deepEqual(types.filter((t) => t === "path"), ["path"]);
    assert.equal(types.at(-1), "end");
    const path = live.find((e) => e.event === "path")!.data;
    assert.equal(path.destination_reached, true);
    assert.equal(path.destination_hop, 1);
    assert.equal(path.loss_origin, null);

    // Replayed after the end: the same events.
    const again = await app.request(`/api/tests/${started.id}/events`);
    assert.deepEqual(parseSseJson(await again.text()), live);
    // Resumed after an id, and without probes.
    const lastHop = live.findLast((e) => e.event === "hop")!;
    const tail = await app.request(
      `/api/tests/${started.id}/events?probes=0`,
      { headers: { "last-event-id": String(lastHop.id - 1) } },
    );
    assert.deepEqual(
      parseSseJson(await tail.text()),
      live.filter((e) => e.id >= lastHop.id && e.event !== "probe"),
    );

    const detail = await (await app.request(`/api/tests/${started.id}`))
      .json();
    assert.equal(detail.status, "completed");
    assert.equal(detail.summary, null);
    assert.deepEqual(detail.paths, [path]);

    // CSV: one row per hop per report, the documented columns.
    const csvRes = await app.request(
      `/api/tests/${started.id}/export?format=csv`,
    );
    assert.equal(csvRes.status, 200);
    assert.match(
      csvRes.headers.get("content-disposition")!,
      /pla-test-\w+-hops\.csv/,
    );
    const text = await csvRes.text();
    assert.deepEqual(csvRows(text)[0], [...HOP_COLUMNS]);
    assert.deepEqual(HOP_COLUMNS, [
      "timestamp",
      "target",
      "address",
      "hop",
      "hop_address",
      "hop_addresses",
      "sent",
      "received",
      "loss_pct",
      "last_rtt_ms",
      "min_rtt_ms",
      "avg_rtt_ms",
      "max_rtt_ms",
      "stdev_ms",
      "jitter_ms",
      "forwarded_loss",
    ]);
    const rows = csvRecords(text);
    const hops = live.filter((e) => e.event === "hop").map((e) => e.data);
    assert.equal(rows.length, hops.length);
    rows.forEach((r, i) => {
      const h = hops[i];
      assert.equal(r.timestamp, h.timestamp);
      assert.equal(r.hop, String(h.hop));
      assert.equal(r.hop_address, h.hop_address ?? "");
      assert.equal(r.sent, String(h.sent));
      assert.equal(r.received, String(h.received));
      assert.equal(r.forwarded_loss, "false");
    });
    const last = rows.at(-1)!;
    assert.deepEqual(
      [last.target, last.address, last.hop, last.hop_address],
      ["localhost-v4", "127.0.0.1", "1", "127.0.0.1"],
    );
    assert.equal(last.hop_addresses, "127.0.0.1=3");
    assert.equal(last.loss_pct, "0");

    // JSON: the hop reports and the path summary per target.
    const json = await (await app.request(
      `/api/tests/${started.id}/export?format=json`,
    )).json();
    assert.equal(json.test.id, started.id);
    assert.deepEqual(json.hops, hops);
    assert.deepEqual(json.paths, [path]);

    // Its probes too, on request.
    const probes = await (await app.request(
      `/api/tests/${started.id}/export?format=json&kind=probes`,
    )).json();
    assert.ok(probes.probes.length >= 3);
    assert.ok(probes.probes.every((p: { target: string }) => p.target));

    // A ping test: no paths, no hop export, its export unchanged.
    const ping = await quickTest(kit);
    const pingDetail = await (await app.request(`/api/tests/${ping}`)).json();
    assert.ok(!("paths" in pingDetail));
    await assertProblem(
      await app.request(`/api/tests/${ping}/export?kind=hops`),
      400,
      "kind",
    );
    await assertProblem(
      await app.request(`/api/tests/${ping}/export?kind=rows`),
      400,
      "kind",
    );
    const pingCsv = csvRows(
      await (await app.request(`/api/tests/${ping}/export`)).text(),
    );
    assert.equal(pingCsv[0][0], "record");
    assert.deepEqual(pingCsv.slice(1).map((r) => r[0]), ["probe", "summary"]);
  });
});
