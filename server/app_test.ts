import assert from "node:assert/strict";
import { withApiKit } from "../testing/api_testkit.ts";
import { parseSseText } from "../testing/sse.ts";
import { createApp } from "./app.ts";
import { PLA } from "../probe/native/shim_layout.ts";

Deno.test("/healthz reports the ICMP socket modes", async () => {
  const app = createApp({
    icmpStatus: () => ({ ipv4: "raw", ipv6: { error: "no IPv6" } }),
  });
  const res = await app.request("/healthz");
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), {
    status: "ok",
    shim: { state: "loaded", abi: PLA.ABI_VERSION },
    icmp: { ipv4: "raw", ipv6: { error: "no IPv6" } },
  });
});

Deno.test("/healthz reports a shim that failed to load (503)", async () => {
  const error =
    "cannot load the ICMP shim /x.so: gone. Build it with: deno task build";
  const app = createApp({
    icmpStatus: () => ({ ipv4: "raw", ipv6: "raw" }),
    shimStatus: () => ({ state: "failed", error }),
  });
  const res = await app.request("/healthz");
  assert.equal(res.status, 503);
  const body = await res.json();
  assert.equal(body.status, "degraded");
  assert.deepEqual(body.shim, { state: "failed", error });
});

Deno.test("/healthz is 503 when no ICMP socket can be opened", async () => {
  const app = createApp({
    icmpStatus: () => ({ ipv4: { error: "EPERM" }, ipv6: { error: "EPERM" } }),
  });
  const res = await app.request("/healthz");
  assert.equal(res.status, 503);
  assert.equal((await res.json()).status, "degraded");
});

// The test API through app.request(), a real engine probing loopback only and
// KV in memory.
import { Runner } from "./runs/runner.ts";
import type { Hono } from "hono";

const withApi = (fn: (app: Hono, runner: Runner) => Promise<void>) =>
  withApiKit(({ app, runner }) => fn(app, runner));

const post = async (app: Hono, path: string, body: string) =>
  await app.request(path, {
    method: "POST",
    body,
    headers: { "content-type": "application/json" },
  });

async function problem(res: Response, status: number, field: string) {
  assert.equal(res.status, status);
  assert.equal(res.headers.get("content-type"), "application/problem+json");
  const body = await res.json();
  assert.equal(body.status, status);
  assert.equal(body.field, field);
  assert.ok(body.detail.includes(field.split(".")[0]), body.detail);
}

Deno.test("GET /api/servers lists the configured servers", async () => {
  await withApi(async (app) => {
    const res = await app.request("/api/servers");
    assert.equal(res.status, 200);
    const { servers } = await res.json();
    assert.deepEqual(servers.map((s: { id: string }) => s.id), [
      "localhost-v4",
      "localhost-v6",
    ]);
  });
});

Deno.test("POST /api/tests, live events over SSE, then the stored result", async () => {
  await withApi(async (app, runner) => {
    const res = await post(
      app,
      "/api/tests",
      JSON.stringify({
        targets: ["localhost-v4", "localhost-v6"],
        interval_ms: 20,
        count: 8,
        timeout_ms: 500,
        size: 56,
      }),
    );
    assert.equal(res.status, 201);
    const created = await res.json();
    assert.equal(created.status, "running");
    assert.equal(created.links.events, `/api/tests/${created.id}/events`);

    const sse = await app.request(created.links.events);
    assert.equal(sse.headers.get("content-type"), "text/event-stream");
    const { events, comments } = parseSseText(await sse.text());
    assert.deepEqual(
      events.map((e) => e.id),
      events.map((_, i) => i + 1),
    );
    assert.equal(events.filter((e) => e.event === "probe").length, 16);
    assert.ok(events.some((e) => e.event === "interval"));
    assert.equal(events.filter((e) => e.event === "summary").length, 2);
    assert.equal(events.at(-1)?.event, "end");
    assert.equal(JSON.parse(events.at(-1)!.data).status, "completed");
    assert.ok(comments >= 1, "a heartbeat comment");

    // Replay after a Last-Event-ID, without probes.
    const again = await app.request(`${created.links.events}?probes=0`, {
      headers: { "last-event-id": "3" },
    });
    const replay = parseSseText(await again.text()).events;
    assert.ok(replay.every((e) => e.event !== "probe" && e.id > 3));
    assert.equal(replay.at(-1)?.event, "end");

    const one = await (await app.request(created.links.self)).json();
    assert.equal(one.status, "completed");
    assert.equal(one.summary.length, 2);
    assert.equal(one.summary[0].received, 8);

    await post(
      app,
      "/api/tests",
      JSON.stringify({ targets: ["localhost-v4"], count: 1, interval_ms: 10 }),
    ).then((r) => r.json()).then((t: { id: string }) => runner.finished(t.id));
    const list = await (await app.request("/api/tests")).json();
    assert.equal(list.tests.length, 2);
    assert.equal(list.tests[1].id, created.id, "newest first");

    await problem(await post(app, created.links.stop, ""), 409, "id");
    const del = await app.request(created.links.self, { method: "DELETE" });
    assert.equal(del.status, 204);
    await problem(await app.request(created.links.self), 404, "id");
  });
});

Deno.test("POST /api/tests/:id/stop stops a running test", async () => {
  await withApi(async (app, runner) => {
    const created = await (await post(
      app,
      "/api/tests",
      JSON.stringify({
        targets: ["localhost-v4"],
        interval_ms: 20,
        duration_s: 30,
        timeout_ms: 200,
      }),
    )).json();
    const stop = await post(app, created.links.stop, "");
    assert.equal(stop.status, 202);
    await runner.finished(created.id);
    const one = await (await app.request(created.links.self)).json();
    assert.equal(one.status, "stopped");
  });
});

Deno.test("a setting of the wrong type gets a plain message, not the schema's", async () => {
  await withApi(async (app) => {
    const cases: [Record<string, unknown>, string, string][] = [
      [
        { interval_ms: "abc" },
        "interval_ms",
        "interval must be a number of milliseconds",
      ],
      [{ count: 2.5 }, "count", "count must be a whole number"],
      [{ size: "big" }, "size", "size must be a whole number of bytes"],
      [{ ttl: 0 }, "ttl", "ttl must be from 1 to 255"],
      [{ timeout_ms: 1e9 }, "timeout_ms", "timeout must be at most 60000 ms"],
    ];
    for (const [extra, field, message] of cases) {
      const res = await post(
        app,
        "/api/tests",
        JSON.stringify({ targets: ["localhost-v4"], count: 1, ...extra }),
      );
      assert.equal(res.status, 422);
      const body = await res.json();
      assert.equal(body.field, field);
      assert.equal(body.detail, `${field}: ${message}`);
    }
  });
});

Deno.test("events: ?probes= other than 0 or 1 is a 400 naming it", async () => {
  await withApi(async (app) => {
    const res = await post(
      app,
      "/api/tests",
      JSON.stringify({ targets: ["localhost-v4"], count: 1, interval_ms: 10 }),
    );
    const { id } = await res.json();
    await problem(
      await app.request(`/api/tests/${id}/events?probes=no`),
      400,
      "probes",
    );
    const ok = await app.request(`/api/tests/${id}/events?probes=0`);
    assert.equal(ok.status, 200);
    const text = await ok.text();
    assert.match(text, /event: end/);
    assert.doesNotMatch(text, /event: probe/);
  });
});

Deno.test("API errors are problem+json naming the field", async () => {
  await withApi(async (app) => {
    await problem(await post(app, "/api/tests", "{nope"), 400, "body");
    await problem(
      await post(
        app,
        "/api/tests",
        JSON.stringify({ targets: ["mars"], count: 1 }),
      ),
      422,
      "targets.0",
    );
    await problem(
      await post(
        app,
        "/api/tests",
        JSON.stringify({ targets: ["localhost-v4"], count: 1, interval_ms: 1 }),
      ),
      422,
      "interval_ms",
    );
    await problem(await app.request("/api/tests/unknown"), 404, "id");
    await problem(await app.request("/api/tests/unknown/events"), 404, "id");
    await problem(
      await post(app, "/api/tests/unknown/stop", ""),
      404,
      "id",
    );
  });
});
