import assert from "node:assert/strict";
import { withApiKit } from "../../testing/api_testkit.ts";
import { checkResponse } from "../../testing/openapi_check.ts";
import { AlertService } from "../alerts/alert_service.ts";
import { KvAlertStore } from "../alerts/kv_alert_store.ts";
import {
  point,
  receiver,
  spec,
  tempKvPath,
  until,
} from "../alerts/alert_testkit.ts";
import type { AlertEvent } from "../../model/monitor.ts";

const GW = { id: "gw", name: "Gateway" };

/** Two monitors, each firing and resolving `cycles` times (4 events per cycle). */
async function withAlerts(
  fn: (svc: AlertService, url: string) => Promise<void>,
  cycles = 3,
) {
  const rx = receiver((n) => n === 1 ? 500 : 200);
  const kv = await Deno.openKv(await tempKvPath());
  const svc = new AlertService({
    store: new KvAlertStore(kv),
    notify: [{ id: "ops", type: "webhook", url: rx.url }],
    retry: { baseMs: 50 },
  });
  await svc.start();
  const a = spec("a", [{
    name: "loss",
    loss_pct_above: 5,
    for_steps: 1,
    notify: ["ops"],
  }]);
  const b = spec("b", [{
    name: "slow",
    median_rtt_ms_above: 50,
    for_steps: 1,
  }]);
  for (let i = 0; i < cycles * 2; i++) {
    const bad = i % 2 === 0;
    svc.observe(a, GW, "192.0.2.1", point(i, { loss: bad ? 50 : 0 }));
    svc.observe(b, GW, "192.0.2.1", point(i, { median: bad ? 90 : 10 }));
  }
  await svc.flush();
  try {
    await fn(svc, rx.url);
  } finally {
    await svc.close();
    kv.close();
    await rx.close();
  }
}

const getJson = async (
  app: { request: (p: string) => Response | Promise<Response> },
  path: string,
) => {
  const res = await app.request(path);
  return { status: res.status, body: await res.json() };
};

Deno.test("GET /api/alerts: newest first, bounded pages with a cursor, monitor and state filters", async () => {
  await withAlerts(async (svc) => {
    await withApiKit(async ({ app }) => {
      const all = await getJson(app, "/api/alerts");
      assert.equal(all.status, 200);
      const events: AlertEvent[] = all.body.alerts;
      assert.equal(events.length, 12);
      assert.equal(all.body.next_cursor, null);
      const ids = events.map((e) => e.id);
      assert.deepEqual(ids, [...ids].sort().reverse());
      assert.deepEqual(
        events.slice(0, 2).map((e) => [e.monitor, e.state]),
        [["b", "ok"], ["a", "ok"]],
      );

      // Pages of 5: 5, 5, 2, together the whole list, no overlap.
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const q: string = cursor ? `&cursor=${cursor}` : "";
        const p = await getJson(app, `/api/alerts?limit=5${q}`);
        assert.equal(p.status, 200);
        assert.ok(p.body.alerts.length <= 5);
        seen.push(...p.body.alerts.map((e: AlertEvent) => e.id));
        cursor = p.body.next_cursor;
        pages++;
      } while (cursor);
      assert.equal(pages, 3);
      assert.deepEqual(seen, ids);

      const a = await getJson(app, "/api/alerts?monitor=a");
      assert.equal(a.body.alerts.length, 6);
      assert.ok(a.body.alerts.every((e: AlertEvent) => e.monitor === "a"));
      const firing = await getJson(
        app,
        "/api/alerts?monitor=b&state=firing&limit=2",
      );
      assert.deepEqual(
        firing.body.alerts.map((
          e: AlertEvent,
        ) => [e.monitor, e.state, e.metric]),
        [["b", "firing", "median_rtt_ms"], ["b", "firing", "median_rtt_ms"]],
      );
      const rest = await getJson(
        app,
        `/api/alerts?monitor=b&state=firing&limit=2&cursor=${firing.body.next_cursor}`,
      );
      assert.equal(rest.body.alerts.length, 1);
      assert.equal(rest.body.next_cursor, null);
      assert.deepEqual(
        (await getJson(app, "/api/alerts?monitor=nope")).body.alerts,
        [],
      );
    }, { alerts: svc });
  });
});

Deno.test("GET /api/alerts: a bad query is a 400 naming the field", async () => {
  await withAlerts(async (svc) => {
    await withApiKit(async ({ app }) => {
      for (
        const [q, field] of [
          ["limit=0", "limit"],
          ["limit=abc", "limit"],
          ["limit=501", "limit"],
          ["state=resolvedd", "state"],
          ["monitor=%20bad", "monitor"],
          ["cursor=zzz", "cursor"],
        ]
      ) {
        const res = await app.request(`/api/alerts?${q}`);
        assert.equal(res.status, 400, q);
        assert.match(res.headers.get("content-type") ?? "", /problem\+json/);
        const body = await res.json();
        assert.equal(body.field, field, q);
        assert.match(body.detail ?? body.title, new RegExp(`^${field}: `), q);
      }
    }, { alerts: svc });
  }, 1);
});

Deno.test("GET /api/alerts/:id/deliveries: the attempts; 404 for an unknown event", async () => {
  await withAlerts(async (svc) => {
    await withApiKit(async ({ app }) => {
      await until(() => svc.notifier.pendingCount === 0, 5000, "deliveries");
      const { body } = await getJson(app, "/api/alerts?monitor=a&state=firing");
      const ev: AlertEvent = body.alerts[0];
      const d = await getJson(app, `/api/alerts/${ev.id}/deliveries`);
      assert.equal(d.status, 200);
      assert.equal(d.body.alert_event, ev.id);
      assert.deepEqual(
        d.body.deliveries.map((
          r: { attempt: number; status: number; ok: boolean },
        ) => [
          r.attempt,
          r.status,
          r.ok,
        ]),
        [[1, 500, false], [2, 200, true]],
      );
      // Both routes answer as the OpenAPI document says.
      const doc = await (await app.request("/api/openapi.json")).json();
      for (const q of ["limit=2", "limit=x", "state=firing"]) {
        await checkResponse(
          doc,
          "get",
          "/api/alerts",
          await app.request(`/api/alerts?${q}`),
        );
      }
      for (const id of [ev.id, "0000000000000deadbeef"]) {
        await checkResponse(
          doc,
          "get",
          "/api/alerts/{id}/deliveries",
          await app.request(`/api/alerts/${id}/deliveries`),
        );
      }
      assert.equal(
        (await app.request("/api/alerts/0000000000000deadbeef/deliveries"))
          .status,
        404,
      );
      assert.equal(
        (await app.request("/api/alerts/nope/deliveries")).status,
        404,
      );
    }, { alerts: svc });
  }, 1);
});

Deno.test("/metrics: pla_monitor_alert_firing per monitor rule", async () => {
  await withAlerts(async (svc) => {
    await withApiKit(async ({ app, metrics }) => {
      metrics.alertFiring = () => svc.firingGauge();
      const text = await (await app.request("/metrics")).text();
      assert.match(text, /^# TYPE pla_monitor_alert_firing gauge$/m);
      // After 3 cycles both rules are resolved; fire one more.
      assert.match(
        text,
        /^pla_monitor_alert_firing\{monitor="a",alert="loss"\} 0$/m,
      );
      svc.observe(
        spec("a", [{ name: "loss", loss_pct_above: 5, for_steps: 1 }]),
        GW,
        null,
        point(100, { loss: 100 }),
      );
      const after = await (await app.request("/metrics")).text();
      assert.match(
        after,
        /^pla_monitor_alert_firing\{monitor="a",alert="loss"\} 1$/m,
      );
      assert.match(
        after,
        /^pla_monitor_alert_firing\{monitor="b",alert="slow"\} 0$/m,
      );
    }, { alerts: svc });
  });
});
