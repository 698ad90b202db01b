// /api/monitors through the app (app.request), with the real engine probing
// loopback and real KV files: roles, audit, bad input, config monitors
// read-only, max_pps counting monitors, the series at each resolution and
// auto, the SSE stream resumed with Last-Event-ID, and the metrics.
import assert from "node:assert/strict";
import type { Hono } from "hono";
import { Engine } from "../../probe/engine.ts";
import { createApp } from "../app.ts";
import { parseConfig } from "../config/config.ts";
import { AuditLog } from "../store/audit_log.ts";
import { KvStore } from "../store/kv_store.ts";
import { Runner } from "../runs/runner.ts";
import { Metrics } from "../ops/metrics.ts";
import { KvMonitorStore } from "./kv_monitor_store.ts";
import { MonitorHub } from "./monitor_hub.ts";
import { MonitorService } from "./monitor_service.ts";
import { authConfigYaml, bearer } from "../../testing/auth_testkit.ts";
import { assertProblem } from "../../testing/api_testkit.ts";
import { readSseChunks, type SseMessage } from "../../testing/sse.ts";
import type { MonitorPoint } from "../../model/monitor.ts";
import type { Role } from "../auth/auth_config.ts";

const EXTRA = `limits: { max_pps: 20 }
monitors:
  - { id: cfg-lo4, server: localhost-v4, step_s: 1, probes: 2, timeout_ms: 300 }
`;

interface Kit {
  app: Hono;
  store: KvMonitorStore;
  audit: AuditLog;
  svc: MonitorService;
}

async function withKit(fn: (kit: Kit) => Promise<void>, extra = EXTRA) {
  const dir = await Deno.makeTempDir();
  const engine = Engine.create();
  const store = await KvStore.open(`${dir}/tests.kv`);
  const kv = await Deno.openKv(`${dir}/mon.kv`);
  const config = parseConfig(await authConfigYaml(extra), "test.yaml");
  const audit = new AuditLog(kv);
  const metrics = new Metrics();
  const runner = new Runner({ engine, config, store });
  const mstore = new KvMonitorStore(kv, config.monitor_retention);
  const hub = new MonitorHub();
  const svc = new MonitorService({
    engine,
    config,
    store: mstore,
    hub,
    testsPps: () => runner.runningPps,
  });
  runner.monitorsPps = () => svc.pps();
  metrics.monitors = () => svc.list();
  await svc.start();
  const app = createApp({
    icmpStatus: () => ({ ipv4: "raw", ipv6: "raw" }),
    api: {
      config,
      runner,
      audit,
      metrics,
      heartbeatMs: 50,
      monitors: { service: svc, store: mstore, hub },
    },
  });
  try {
    await fn({ app, store: mstore, audit, svc });
  } finally {
    await svc.close();
    await runner.close();
    await engine.close();
    await store.close();
    kv.close();
    await Deno.remove(dir, { recursive: true });
  }
}

const send = (
  app: Hono,
  method: string,
  path: string,
  role: Role,
  body?: unknown,
) =>
  app.request(path, {
    method,
    headers: { ...bearer(role), "content-type": "application/json" },
    ...(body === undefined
      ? {}
      : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("monitors API: roles, create/patch/delete audited, bad input, config read-only, max_pps", async () => {
  await withKit(async ({ app, audit }) => {
    const list = await send(app, "GET", "/api/monitors", "viewer");
    assert.equal(list.status, 200);
    const { monitors } = await list.json();
    assert.deepEqual(monitors.map((m: { id: string }) => m.id), ["cfg-lo4"]);
    assert.equal(monitors[0].source, "config");
    assert.equal(monitors[0].server_name, "Localhost v4");

    const spec = {
      id: "api-6",
      server: "localhost-v6",
      step_s: 1,
      probes: 2,
      timeout_ms: 300,
    };
    assert.equal(
      (await send(app, "POST", "/api/monitors", "operator", spec)).status,
      403,
    );
    assert.equal(
      (await send(app, "POST", "/api/monitors", "viewer", spec)).status,
      403,
    );
    const created = await send(app, "POST", "/api/monitors", "admin", spec);
    assert.equal(created.status, 201);
    assert.equal(created.headers.get("location"), "/api/monitors/api-6");
    const body = await created.json();
    assert.equal(body.spec.probes, 2);
    assert.equal(body.spec.mode, "ping");
    assert.equal(body.source, "api");

    const dup = await send(app, "POST", "/api/monitors", "admin", spec);
    assert.equal(dup.status, 409);
    await assertProblem(
      await send(app, "POST", "/api/monitors", "admin", {
        ...spec,
        id: "x",
        server: "nope",
      }),
      422,
      "server",
    );
    await assertProblem(
      await send(app, "POST", "/api/monitors", "admin", {
        ...spec,
        id: "x",
        step_s: 0,
      }),
      422,
      "step_s",
    );
    await assertProblem(
      await send(app, "POST", "/api/monitors", "admin", {
        ...spec,
        id: "x",
        colour: 1,
      }),
      422,
      "colour",
    );
    await assertProblem(
      await send(app, "POST", "/api/monitors", "admin", "{nope"),
      400,
      "body",
    );
    // 2 + 2 probes/s run; 100 more exceed max_pps 20.
    const over = await send(app, "POST", "/api/monitors", "admin", {
      ...spec,
      id: "x",
      probes: 100,
    });
    await assertProblem(over, 422, "probes");

    // Config monitors are read-only; API ones change (the rest of the spec kept).
    const cfgPatch = await send(
      app,
      "PATCH",
      "/api/monitors/cfg-lo4",
      "admin",
      { probes: 3 },
    );
    assert.equal(cfgPatch.status, 409);
    assert.match((await cfgPatch.json()).detail, /defined in the config file/);
    assert.equal(
      (await send(app, "PATCH", "/api/monitors/api-6", "operator", {
        probes: 3,
      })).status,
      403,
    );
    const patched = await send(app, "PATCH", "/api/monitors/api-6", "admin", {
      probes: 3,
    });
    assert.equal(patched.status, 200);
    const p = await patched.json();
    assert.equal(p.spec.probes, 3);
    assert.equal(p.spec.server, "localhost-v6");
    await assertProblem(
      await send(app, "PATCH", "/api/monitors/api-6", "admin", {
        probes: "many",
      }),
      422,
      "probes",
    );
    assert.equal(
      (await send(app, "PATCH", "/api/monitors/none", "admin", { probes: 3 }))
        .status,
      404,
    );

    // A test is admitted within max_pps less the monitors' 5 probes/s.
    await assertProblem(
      await send(app, "POST", "/api/tests", "operator", {
        targets: ["localhost-v4"],
        count: 2,
        interval_ms: 60,
        timeout_ms: 200,
      }),
      422,
      "interval_ms",
    );
    const fits = await send(app, "POST", "/api/tests", "operator", {
      targets: ["localhost-v4"],
      count: 2,
      interval_ms: 100,
      timeout_ms: 200,
    });
    assert.equal(fits.status, 201);
    await fits.body?.cancel();

    assert.equal(
      (await send(app, "DELETE", "/api/monitors/cfg-lo4", "admin")).status,
      409,
    );
    assert.equal(
      (await send(app, "DELETE", "/api/monitors/api-6", "operator")).status,
      403,
    );
    assert.equal(
      (await send(app, "DELETE", "/api/monitors/api-6", "admin")).status,
      204,
    );
    assert.equal(
      (await send(app, "GET", "/api/monitors/api-6", "viewer")).status,
      404,
    );

    const { entries } = await audit.list(50);
    const mine = entries.filter((e) => e.monitor_id === "api-6")
      .map((e) => [e.action, e.who]).reverse();
    assert.deepEqual(mine, [
      ["monitor_create", "alice"],
      ["monitor_update", "alice"],
      ["monitor_delete", "alice"],
    ]);
  });
});

function seed(t: number, span_s: number): MonitorPoint {
  return {
    t,
    span_s,
    sent: 10,
    received: 9,
    loss_pct: 10,
    late: 0,
    duplicates: 0,
    min_rtt_ms: 1,
    median_rtt_ms: 2,
    avg_rtt_ms: 2,
    max_rtt_ms: 3,
    deciles_ms: [1, 1, 2, 2, 2, 2, 2, 3, 3],
    jitter_ms: 0.5,
    jitter_pairs: 8,
    hist: [[143, 9]],
  };
}

Deno.test("series API at each resolution, auto resolution, gaps, bad queries", async () => {
  await withKit(async ({ app, store }) => {
    const spec = {
      id: "s60",
      server: "localhost-v4",
      step_s: 60,
      probes: 1,
      timeout_ms: 300,
    };
    assert.equal(
      (await send(app, "POST", "/api/monitors", "admin", spec)).status,
      201,
    );
    const D = 86_400_000, H = 3_600_000;
    const today = Math.floor(Date.now() / D) * D;
    const stepDay = today - 3 * D;
    for (let t = stepDay; t < stepDay + D; t += 60_000) {
      await store.putPoint("s60", "step", seed(t, 60));
    }
    for (let t = today - 100 * D; t < today - 10 * D; t += H) {
      await store.putPoint("s60", "hour", seed(t, 3600));
    }
    for (let t = today - 700 * D; t < today - 200 * D; t += D) {
      await store.putPoint("s60", "day", seed(t, 86400));
    }
    await store.putGap("s60", { from: stepDay + D, to: stepDay + D + 5 * H });
    const get = async (q: string) => {
      const res = await send(
        app,
        "GET",
        `/api/monitors/s60/series?${q}`,
        "viewer",
      );
      assert.equal(res.status, 200, q);
      return await res.json();
    };
    let s = await get(`from=${stepDay}&to=${stepDay + H}&resolution=step`);
    assert.equal(s.resolution, "step");
    assert.equal(s.points.length, 60);
    assert.deepEqual(s.points[0], seed(stepDay, 60));
    s = await get(
      `from=${today - 50 * D}&to=${today - 49 * D}&resolution=hour`,
    );
    assert.equal(s.points.length, 24);
    s = await get(
      `from=${today - 500 * D}&to=${today - 400 * D}&resolution=day`,
    );
    assert.equal(s.points.length, 100);
    // Auto: a day of 60 s steps is 1440 points (fits), two days are not.
    s = await get(
      `from=${new Date(stepDay).toISOString()}&to=${
        new Date(stepDay + D).toISOString()
      }`,
    );
    assert.equal(s.resolution, "step");
    assert.equal(s.points.length, 1440);
    s = await get(`from=${stepDay - D}&to=${stepDay + D + H}`);
    assert.equal(s.resolution, "hour");
    assert.deepEqual(s.gaps, [{ from: stepDay + D, to: stepDay + D + 5 * H }]);
    s = await get(`from=${today - 60 * D}&to=${today - 59 * D + 12 * H}`);
    assert.equal(s.resolution, "hour");
    s = await get(`from=${today - 700 * D}&to=${today}`);
    assert.equal(s.resolution, "day");
    assert.equal(s.points.length, 500);
    // Defaults: the last 3 hours.
    s = await get("");
    assert.ok(s.to - s.from === 3 * H);

    const bad = (q: string) =>
      send(app, "GET", `/api/monitors/s60/series?${q}`, "viewer");
    await assertProblem(await bad("from=yesterday"), 400, "from");
    await assertProblem(await bad("to=12x"), 400, "to");
    await assertProblem(await bad("resolution=minute"), 400, "resolution");
    await assertProblem(
      await bad(`from=${today}&to=${today - 1}`),
      400,
      "from",
    );
    await assertProblem(
      await bad(`from=0&to=${today}&resolution=step`),
      400,
      "resolution",
    );
    assert.equal(
      (await send(app, "GET", "/api/monitors/nope/series", "viewer")).status,
      404,
    );
  });
});

Deno.test("SSE: point events of a 1-second monitor arrive, resume with Last-Event-ID; metrics per monitor", async () => {
  await withKit(async ({ app }) => {
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), 10_000);
    try {
      const res = await app.request("/api/monitors/events", {
        headers: bearer("viewer"),
        signal: ctl.signal,
      });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("content-type"), "text/event-stream");
      const got: SseMessage[] = [];
      await readSseChunks(res.body!, (evs) => {
        got.push(...evs.filter((e) => e.event === "point"));
        return got.length >= 2;
      });
      const first = got[0];
      const data = JSON.parse(first.data);
      assert.equal(data.monitor, "cfg-lo4");
      assert.equal(data.resolution, "step");
      assert.equal(data.point.sent, 2);
      assert.equal(Number(got[1].id), Number(first.id) + 1);
      // Resume after the first: the second comes again, from the ring.
      const again = await app.request("/api/monitors/events", {
        headers: { ...bearer("viewer"), "Last-Event-ID": String(first.id) },
        signal: ctl.signal,
      });
      const resumed: SseMessage[] = [];
      await readSseChunks(again.body!, (evs) => {
        resumed.push(...evs.filter((e) => e.event === "point"));
        return resumed.length >= 1;
      });
      assert.equal(resumed[0].id, got[1].id);
      assert.equal(resumed[0].data, got[1].data);
      await assertProblem(
        await app.request("/api/monitors/events", {
          headers: { ...bearer("viewer"), "Last-Event-ID": "x" },
        }),
        400,
        "Last-Event-ID",
      );
    } finally {
      clearTimeout(timer);
    }
    const metrics = await (await send(app, "GET", "/metrics", "viewer")).text();
    assert.match(
      metrics,
      /pla_monitor_loss_ratio\{monitor="cfg-lo4",server="localhost-v4"\} 0/,
    );
    assert.match(
      metrics,
      /pla_monitor_rtt_ms\{monitor="cfg-lo4",server="localhost-v4",quantile="0\.5"\} [0-9.]+/,
    );
    const detail =
      await (await send(app, "GET", "/api/monitors/cfg-lo4", "viewer")).json();
    assert.equal(detail.state, "ok");
    assert.equal(detail.latest.sent, 2);
    assert.equal(detail.path, null);
    await sleep(0);
  });
});

Deno.test("monitor routes are in the OpenAPI document and their responses match it", async () => {
  const { checkResponse } = await import("../../testing/openapi_check.ts");
  await withKit(async ({ app }) => {
    const doc = await (await send(app, "GET", "/api/openapi.json", "viewer"))
      .json();
    for (
      const [p, m] of [
        ["/api/monitors", "get"],
        ["/api/monitors", "post"],
        ["/api/monitors/events", "get"],
        ["/api/monitors/{id}", "get"],
        ["/api/monitors/{id}", "patch"],
        ["/api/monitors/{id}", "delete"],
        ["/api/monitors/{id}/series", "get"],
      ]
    ) assert.ok(doc.paths[p]?.[m], `${m} ${p} documented`);
    assert.equal(doc.paths["/api/monitors"].post["x-required-role"], "admin");
    assert.ok(doc.components.schemas.MonitorSpec);
    await sleep(1500);
    const check = (m: string, p: string, res: Response) =>
      checkResponse(doc, m, p, res);
    await check(
      "get",
      "/api/monitors",
      await send(app, "GET", "/api/monitors", "viewer"),
    );
    await check(
      "get",
      "/api/monitors/{id}",
      await send(app, "GET", "/api/monitors/cfg-lo4", "viewer"),
    );
    await check(
      "get",
      "/api/monitors/{id}/series",
      await send(app, "GET", "/api/monitors/cfg-lo4/series", "viewer"),
    );
    const spec = { id: "o", server: "localhost-v4", step_s: 10, probes: 1 };
    await check(
      "post",
      "/api/monitors",
      await send(app, "POST", "/api/monitors", "admin", spec),
    );
    await check(
      "patch",
      "/api/monitors/{id}",
      await send(app, "PATCH", "/api/monitors/o", "admin", { probes: 2 }),
    );
    await check(
      "post",
      "/api/monitors",
      await send(app, "POST", "/api/monitors", "admin", spec),
    );
  });
});

Deno.test("monitor and test event streams share the per-client limit (429)", async () => {
  await withKit(
    async ({ app }) => {
      const ctl = new AbortController();
      try {
        const open = () =>
          app.request("/api/monitors/events", {
            headers: bearer("viewer"),
            signal: ctl.signal,
          });
        const started = await send(app, "POST", "/api/tests", "viewer", {
          targets: ["localhost-v4"],
          count: 30,
          interval_ms: 100,
          timeout_ms: 200,
        });
        assert.equal(started.status, 403, "(a viewer may not start tests)");
        const test = await (await send(app, "POST", "/api/tests", "operator", {
          targets: ["localhost-v4"],
          count: 30,
          interval_ms: 100,
          timeout_ms: 200,
        })).json();
        // The same user (vic, the viewer) holds a test stream and a monitor stream.
        const a = await app.request(`/api/tests/${test.id}/events`, {
          headers: bearer("viewer"),
          signal: ctl.signal,
        });
        const b = await open();
        assert.equal(a.status, 200);
        assert.equal(b.status, 200);
        const c = await open();
        assert.equal(c.status, 429);
        assert.ok(c.headers.get("retry-after"));
        await c.body?.cancel();
        await a.body?.cancel();
        await b.body?.cancel();
        await send(app, "POST", `/api/tests/${test.id}/stop`, "operator");
      } finally {
        ctl.abort();
      }
    },
    `limits: { max_sse_per_client: 2 }
monitors:
  - { id: cfg-lo4, server: localhost-v4, step_s: 1, probes: 2, timeout_ms: 300 }
`,
  );
});
