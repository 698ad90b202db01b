// The alert service on PostgreSQL (PgAlertStore, a throw-away cluster): an
// outage sends one firing and one resolved webhook with every attempt
// recorded; a restart keeps the firing state; a webhook still pending at
// shutdown is sent by the next start. Webhooks go to a receiver on loopback.
import assert from "node:assert/strict";
import { gate } from "../../testing/gate.ts";
import { postgresUnavailableReason } from "../../testing/postgres.ts";
import { pgDatabases } from "../../testing/pg_databases.ts";
import type { Sql } from "../store/pg/pg_client.ts";
import { AlertService } from "./alert_service.ts";
import { PgAlertStore } from "./pg_alert_store.ts";
import type { RetryPolicy } from "./notifier.ts";
import { point, receiver, spec, until } from "./alert_testkit.ts";

const ignore = gate("pg alert service", postgresUnavailableReason());
const GW = { id: "gw", name: "Gateway" };
const ADDR = "198.18.0.2";
const mon = spec("gw-watch", [
  { name: "down", loss_pct_above: 99, for_steps: 2, notify: ["ops"] },
]);

async function open(sql: Sql, url: string, retry: Partial<RetryPolicy> = {}) {
  const svc = new AlertService({
    store: new PgAlertStore(sql),
    notify: [{ id: "ops", type: "webhook", url }],
    retry: { baseMs: 100, timeoutMs: 300, ...retry },
  });
  await svc.start();
  return svc;
}

if (!ignore) {
  const dbs = pgDatabases("alertsvc");

  Deno.test("pg alert service: one firing and one resolved webhook, attempts recorded; a restart keeps the state", async () => {
    const rx = receiver();
    const { sql } = await dbs.fresh();
    let svc = await open(sql, rx.url);
    try {
      [0, 1, 2].forEach((i) =>
        svc.observe(mon, GW, ADDR, point(i, { loss: 100 }))
      );
      await svc.close();
      svc = await open(sql, rx.url);
      assert.deepEqual(svc.firing("gw-watch"), ["down"]);
      // Still bad: nothing new; two good steps resolve it.
      [3, 4, 5].forEach((i) =>
        svc.observe(mon, GW, ADDR, point(i, { loss: i === 3 ? 100 : 0 }))
      );
      assert.deepEqual(svc.firing("gw-watch"), []);
      await svc.flush();
      await until(() => rx.hits.length === 2, 5000, "two webhooks");
      assert.deepEqual(rx.hits.map((h) => h.body.state), [
        "firing",
        "resolved",
      ]);
      const page = await svc.list({ limit: 10 });
      assert.deepEqual(page.alerts.map((e) => e.state), ["ok", "firing"]);
      await until(() => svc.notifier.pendingCount === 0, 2000, "done");
      for (const ev of page.alerts) {
        assert.deepEqual(
          (await svc.deliveries(ev.id))?.map((r) => [r.attempt, r.ok]),
          [[1, true]],
        );
      }
    } finally {
      await svc.close();
      await rx.close();
      await sql.end({ timeout: 1 });
    }
  });

  Deno.test("pg alert service: a webhook pending at shutdown is sent by the next start", async () => {
    let fail = true;
    const rx = receiver(() => fail ? 500 : 200);
    const { sql } = await dbs.fresh();
    let svc = await open(sql, rx.url, { baseMs: 60_000 });
    try {
      [0, 1].forEach((i) =>
        svc.observe(mon, GW, ADDR, point(i, { loss: 100 }))
      );
      await until(() => rx.hits.length === 1, 5000, "the first attempt");
      await new Promise((r) => setTimeout(r, 200)); // its record is written
      await svc.close();
      fail = false;
      svc = await open(sql, rx.url, { baseMs: 60_000 });
      // The next attempt is a minute away: resumed, not resent at once.
      assert.equal(svc.notifier.pendingCount, 1);
      await svc.close();
      // Due now: the next start sends it.
      await sql`update pla_alert_pending set body = jsonb_set(body::jsonb,
        '{due}', to_jsonb(0))::json`;
      svc = await open(sql, rx.url, { baseMs: 60_000 });
      await until(() => rx.hits.length === 2, 5000, "the resumed attempt");
      await until(() => svc.notifier.pendingCount === 0, 2000, "done");
      const [ev] = (await svc.list({ limit: 1 })).alerts;
      assert.deepEqual(
        (await svc.deliveries(ev.id))?.map((r) => [r.attempt, r.ok]),
        [[1, false], [2, true]],
      );
      assert.deepEqual(await new PgAlertStore(sql).pending(), []);
    } finally {
      await svc.close();
      await rx.close();
      await sql.end({ timeout: 1 });
    }
  });

  Deno.test({
    name: "pg alert service: stop the cluster",
    sanitizeResources: false,
    sanitizeOps: false,
    fn: () => dbs.stop(),
  });
}
