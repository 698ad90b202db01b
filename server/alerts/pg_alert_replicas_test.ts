// Two alert services ("replicas") on one PostgreSQL database, each on its own
// pool, webhooks to a receiver on loopback: a webhook left pending by a
// replica that died is sent once by the other when its claim expires; two
// replicas resuming the same pending webhooks send each once; a monitor
// moving from one replica to the other keeps its firing state (no second
// firing, the resolve comes from the new one); a replica not running a
// monitor answers firing() from the stored states; events of one rule reach
// a target in order across replicas.
import assert from "node:assert/strict";
import { gate } from "../../testing/gate.ts";
import { postgresUnavailableReason } from "../../testing/postgres.ts";
import { pgDatabases } from "../../testing/pg_databases.ts";
import { openPg, type Sql } from "../store/pg/pg_client.ts";
import type { AlertEvent } from "../../model/monitor.ts";
import { AlertService, type AlertServiceOptions } from "./alert_service.ts";
import { PgAlertStore, type PgAlertStoreOptions } from "./pg_alert_store.ts";
import { alertEvent, pendingOf } from "./alert_store_suite.ts";
import { point, receiver, spec, T0, until } from "./alert_testkit.ts";
import type { RuleState } from "./alert_evaluator.ts";

const ignore = gate("pg alert replicas", postgresUnavailableReason());
const GW = { id: "gw", name: "Gateway" };
const ADDR = "198.18.0.2";
const mon = spec("gw-watch", [
  { name: "down", loss_pct_above: 99, for_steps: 2, notify: ["ops"] },
]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const firingState: RuleState = {
  state: "firing",
  streak: 0,
  streak_since: null,
  fired_at: T0,
  last_t: T0,
};

/** A replica: its own pool and store (its own claims), and its events. */
async function replica(
  url: string,
  hook: string,
  o: Partial<AlertServiceOptions> = {},
  store: PgAlertStoreOptions = {},
) {
  const sql = await openPg(url, { max: 4 });
  const events: AlertEvent[] = [];
  const svc = new AlertService({
    store: new PgAlertStore(sql, store),
    notify: [{ id: "ops", type: "webhook", url: hook }],
    retry: { baseMs: 100, timeoutMs: 1000 },
    claimPollMs: 50,
    storedTtlMs: 50,
    onEvent: (ev) => events.push(ev),
    ...o,
  });
  return {
    svc,
    events,
    async close() {
      await svc.close();
      await sql.end({ timeout: 1 });
    },
  };
}

/** What a replica that died left: events with pending webhooks, claimed by it. */
async function leftByDead(sql: Sql, hook: string, monitors: string[]) {
  const dead = new PgAlertStore(sql, { owner: "dead", claimMs: 500 });
  for (const m of monitors) {
    const ev = alertEvent(dead.newId(Date.now()), m, "firing");
    const p = { ...pendingOf(ev, "ops"), due: 0, queued: Date.now() };
    p.notify.url = hook;
    await dead.putEvent(m, "down", firingState, ev, [p]);
  }
  return dead;
}

if (!ignore) {
  const dbs = pgDatabases("alertrep");

  Deno.test("pg alert replicas: a webhook queued by a replica that died is sent once by the other, after the claim expires", async () => {
    const rx = receiver();
    const { sql, url } = await dbs.fresh();
    const b = await replica(url, rx.url);
    try {
      await b.svc.start();
      const dead = await leftByDead(sql, rx.url, ["m-1", "m-2"]);
      // The dead replica had tried m-2 once already: attempt 2 comes next.
      const [p2] = (await dead.pending()).filter((p) =>
        p.event.monitor === "m-2"
      );
      await dead.recordAttempt({
        alert_event: p2.event.id,
        notify: "ops",
        attempt: 1,
        at: new Date().toISOString(),
        ok: false,
        status: 500,
        error: "HTTP 500",
      }, { ...p2, attempts: 1, due: 0 });
      await sleep(250); // still claimed by the dead replica: not sent
      assert.equal(rx.hits.length, 0);
      await until(() => rx.hits.length === 2, 5000, "both taken over");
      await sleep(300); // polls go on: nothing is sent twice
      assert.deepEqual(rx.hits.map((h) => h.body.monitor).sort(), [
        "m-1",
        "m-2",
      ]);
      await until(() => b.svc.notifier.pendingCount === 0, 2000, "done");
      assert.deepEqual(await dead.pending(), []);
      const tries = async (m: string) => {
        const ev = (await dead.list({ monitor: m, limit: 1 })).alerts[0];
        return (await dead.deliveries(ev.id)).map((r) => [r.attempt, r.ok]);
      };
      assert.deepEqual(await tries("m-1"), [[1, true]]);
      assert.deepEqual(await tries("m-2"), [[1, false], [2, true]]);
    } finally {
      await b.close();
      await rx.close();
      await sql.end({ timeout: 1 });
    }
  });

  Deno.test("pg alert replicas: two replicas resuming the same pending webhooks send each exactly once", async () => {
    const rx = receiver();
    const { sql, url } = await dbs.fresh();
    const monitors = Array.from({ length: 30 }, (_, i) => `m-${i}`);
    const dead = await leftByDead(sql, rx.url, monitors);
    await dead.claims.releaseClaims(); // stopped cleanly: free at once
    const a = await replica(url, rx.url);
    const b = await replica(url, rx.url);
    try {
      await Promise.all([a.svc.start(), b.svc.start()]);
      await until(() => rx.hits.length >= 30, 5000, "every webhook");
      await sleep(300);
      const sent = rx.hits.map((h) => h.body.monitor as string).sort();
      assert.deepEqual(sent, [...monitors].sort());
      await until(
        () => a.svc.notifier.pendingCount + b.svc.notifier.pendingCount === 0,
        2000,
        "done",
      );
      assert.deepEqual(await dead.pending(), []);
      for (const ev of (await dead.list({ limit: 100 })).alerts) {
        assert.deepEqual(
          (await dead.deliveries(ev.id)).map((r) => [r.attempt, r.ok]),
          [[1, true]],
        );
      }
    } finally {
      await a.close();
      await b.close();
      await rx.close();
      await sql.end({ timeout: 1 });
    }
  });

  Deno.test("pg alert replicas: a monitor moving to another replica keeps its firing state; firing() elsewhere reads the store", async () => {
    const rx = receiver();
    const { sql, url } = await dbs.fresh();
    const a = await replica(url, rx.url);
    const b = await replica(url, rx.url);
    try {
      // Both start before anything fires: b's own idea of the state is stale.
      await a.svc.start();
      await b.svc.start();
      await a.svc.adopt("gw-watch");
      [0, 1, 2].forEach((i) =>
        a.svc.observe(mon, GW, ADDR, point(i, { loss: 100 }))
      );
      await a.svc.flush();
      assert.deepEqual(a.svc.firing("gw-watch"), ["down"]);
      // b does not run it: it answers from the store.
      await until(
        () => b.svc.firing("gw-watch", false).length === 1,
        2000,
        "b reads the firing state",
      );
      assert.deepEqual(b.svc.firing("gw-watch", false), ["down"]);
      assert.deepEqual(b.svc.firingGauge(), [
        { monitor: "gw-watch", alert: "down", firing: true },
      ]);
      await until(() => rx.hits.length === 1, 5000, "the firing webhook");

      // a loses the monitor (its lease moves to b); b takes over.
      await b.svc.adopt("gw-watch");
      assert.deepEqual(b.svc.firing("gw-watch"), ["down"]);
      b.svc.observe(mon, GW, ADDR, point(3, { loss: 100 })); // still bad
      b.svc.observe(mon, GW, ADDR, point(4, { loss: 0 }));
      b.svc.observe(mon, GW, ADDR, point(5, { loss: 0 }));
      await b.svc.flush();
      assert.deepEqual(b.svc.firing("gw-watch"), []);
      await until(() => rx.hits.length === 2, 5000, "the resolved webhook");
      await sleep(300);
      assert.deepEqual(rx.hits.map((h) => h.body.state), [
        "firing",
        "resolved",
      ]);
      assert.deepEqual(a.events.map((e) => e.state), ["firing"]);
      assert.deepEqual(b.events.map((e) => e.state), ["ok"]);
      const page = await a.svc.list({ limit: 10 });
      assert.deepEqual(page.alerts.map((e) => e.state), ["ok", "firing"]);
      // And a, no longer running it, sees it resolved (once read again).
      const resolved = [{ monitor: "gw-watch", alert: "down", firing: false }];
      await until(
        () => JSON.stringify(a.svc.firingGauge()) === JSON.stringify(resolved),
        2000,
        "a reads the resolved state",
      );
      assert.deepEqual(a.svc.firing("gw-watch", false), []);
    } finally {
      await a.close();
      await b.close();
      await rx.close();
      await sql.end({ timeout: 1 });
    }
  });

  Deno.test("pg alert replicas: a rule's events reach a target in order across replicas", async () => {
    const rx = receiver();
    const { sql, url } = await dbs.fresh();
    // The dead replica's firing webhook is claimed for 500 ms more.
    await leftByDead(sql, rx.url, ["gw-watch"]);
    const b = await replica(url, rx.url);
    try {
      await b.svc.start();
      await b.svc.adopt("gw-watch");
      assert.deepEqual(b.svc.firing("gw-watch"), ["down"]);
      // Resolved on b at once; its webhook waits for the firing one.
      const t = Math.floor((Date.now() - T0) / 1000) + 10;
      [t, t + 1].forEach((i) =>
        b.svc.observe(mon, GW, ADDR, point(i, { loss: 0 }))
      );
      await b.svc.flush();
      await until(() => rx.hits.length === 2, 5000, "both webhooks");
      assert.deepEqual(rx.hits.map((h) => h.body.state), [
        "firing",
        "resolved",
      ]);
    } finally {
      await b.close();
      await rx.close();
      await sql.end({ timeout: 1 });
    }
  });

  Deno.test({
    name: "pg alert replicas: stop the cluster",
    sanitizeResources: false,
    sanitizeOps: false,
    fn: () => dbs.stop(),
  });
}
