// Samples, export, live stats and the full replay of a finished test, through
// app.request() with a real engine probing loopback only and KV in memory.
import assert from "node:assert/strict";
import { withApiKit } from "../../testing/api_testkit.ts";
import type { Hono } from "hono";
import { csvField, parseCsv, PROBE_COLUMNS, toCsv } from "./export.ts";
import { parseSamplesQuery } from "./samples.ts";
import { Runner } from "./runner.ts";
import { ApiError } from "../http/problem.ts";

Deno.test("CSV fields are quoted as RFC 4180 asks", () => {
  assert.equal(csvField("plain"), "plain");
  assert.equal(csvField('a "b", c'), '"a ""b"", c"');
  assert.equal(csvField("x\ny"), '"x\ny"');
  assert.equal(csvField(null), "");
  assert.equal(csvField(0.25), "0.25");
  const csv = toCsv([{
    target: "t,1",
    address: "127.0.0.1",
    index: 0,
    seq: 1,
    sent_at: 1_700_000_000_000.5,
    rtt_ms: null,
    status: "error",
    ttl: null,
    ts_source: "user",
    icmp: { type: 3, code: 3, from: "10.0.0.1", text: 'unreachable "port"' },
  }], null);
  assert.ok(csv.endsWith("\r\n"));
  const rows = parseCsv(csv);
  assert.equal(rows.length, 2);
  assert.equal(rows[0].length, rows[1].length);
  const row = Object.fromEntries(rows[0].map((k, i) => [k, rows[1][i]]));
  assert.equal(row.target, "t,1");
  assert.equal(row.icmp_text, 'unreachable "port"');
  assert.equal(row.timestamp, new Date(1_700_000_000_000.5).toISOString());
  assert.equal(row.sent_at, "1700000000000.5");
});

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
      () => parseSamplesQuery(l, c),
      (e) => e instanceof ApiError && e.status === 400 && e.field === field,
    );
  }
  assert.deepEqual(parseSamplesQuery(undefined, undefined), {
    limit: 1000,
    after: 0,
  });
});

// keepFinished 0: a finished test is read back from the store only.
const withApi = (fn: (app: Hono, runner: Runner) => Promise<void>) =>
  withApiKit(({ app, runner }) => fn(app, runner), {
    keepFinished: 0,
    heartbeatMs: 1000,
  });

interface Ev {
  id: number;
  event: string;
  data: Record<string, unknown>;
}
function parseSse(text: string): Ev[] {
  const out: Ev[] = [];
  for (const block of text.split("\n\n")) {
    const ev: Partial<Record<string, string>> = {};
    for (const line of block.split("\n")) {
      if (!line || line.startsWith(":")) continue;
      const at = line.indexOf(":");
      ev[line.slice(0, at)] = line.slice(at + 1).trimStart();
    }
    if (ev.id) {
      out.push({
        id: Number(ev.id),
        event: ev.event!,
        data: JSON.parse(ev.data!),
      });
    }
  }
  return out;
}

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
    const live = parseSse(
      await (await app.request(`/api/tests/${id}/events`)).text(),
    );
    await runner.finished(id);
    assert.equal(live.at(-1)?.event, "end");
    const done = await (await app.request(`/api/tests/${id}`)).json();
    assert.equal(done.status, "completed");
    assert.equal(done.stats, undefined);

    // Not in memory any more: rebuilt from KV, identical.
    const replay = parseSse(
      await (await app.request(`/api/tests/${id}/events`)).text(),
    );
    assert.deepEqual(replay, live);
    assert.deepEqual(replay.map((e) => e.id), replay.map((_, i) => i + 1));
    const types = replay.map((e) => e.event);
    assert.equal(types.filter((t) => t === "probe").length, 30);
    assert.ok(types.includes("interval"));
    assert.deepEqual(types.slice(-4), ["summary", "summary", "status", "end"]);
    const resumed = parseSse(
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
    const rows = parseCsv(await csvRes.text());
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
