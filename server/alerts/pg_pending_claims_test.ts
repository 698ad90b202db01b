// Claims on pending webhooks on a real PostgreSQL: what a store queues is
// its own; another store takes it only once the claim expired or was
// released; concurrent claims never share a row; a lapsed owner's attempt
// does not overwrite the new owner's state; an earlier event of the lane
// blocks a later one.
import assert from "node:assert/strict";
import { gate } from "../../testing/gate.ts";
import { postgresUnavailableReason } from "../../testing/postgres.ts";
import { pgDatabases } from "../../testing/pg_databases.ts";
import { PgAlertStore } from "./pg_alert_store.ts";
import { alertEvent, pendingOf } from "./alert_store_suite.ts";
import { initialState } from "./alert_evaluator.ts";
import { T0 } from "./alert_testkit.ts";

const ignore = gate("pg pending claims", postgresUnavailableReason());
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

if (!ignore) {
  const dbs = pgDatabases("claims");

  Deno.test("pg pending claims: own, expired, released, exclusive, blocked", async () => {
    const { sql } = await dbs.fresh();
    try {
      const a = new PgAlertStore(sql, { owner: "a", claimMs: 300 });
      const b = new PgAlertStore(sql, { owner: "b", claimMs: 300 });
      const ev1 = alertEvent(a.newId(T0), "m1", "firing");
      const ev2 = alertEvent(a.newId(T0 + 1000), "m1", "ok", T0 + 1000);
      await a.putEvent("m1", "down", initialState(), ev1, [
        pendingOf(ev1, "ops"),
      ]);
      await a.putEvent("m1", "down", initialState(), ev2, [
        pendingOf(ev2, "ops"),
      ]);
      // a's own: b gets nothing, a renews them.
      assert.deepEqual(await b.claims.claimPending(), []);
      assert.equal((await a.claims.claimPending()).length, 2);
      // The later event of the lane waits for the earlier one.
      assert.equal((await a.claims.holdClaim(ev1.id, "ops"))?.blocked, false);
      assert.equal((await a.claims.holdClaim(ev2.id, "ops"))?.blocked, true);
      assert.equal(await b.claims.holdClaim(ev1.id, "ops"), null);
      // Expired: b takes both over; a's late attempt leaves b's state alone.
      await sleep(400);
      const taken = await b.claims.claimPending();
      assert.deepEqual(taken.map((p) => p.event.id), [ev1.id, ev2.id]);
      assert.equal(await a.claims.holdClaim(ev1.id, "ops"), null);
      await a.recordAttempt({
        alert_event: ev1.id,
        notify: "ops",
        attempt: 1,
        at: new Date().toISOString(),
        ok: false,
        status: 500,
        error: "HTTP 500",
      }, { ...taken[0], attempts: 1 });
      assert.equal(
        (await b.claims.holdClaim(ev1.id, "ops"))?.pending.attempts,
        0,
      );
      // Released: a takes them at once.
      await b.claims.releaseClaims();
      assert.equal((await a.claims.claimPending()).length, 2);
      await a.claims.releaseClaims();
      // Claiming at once from many stores: each row goes to one of them.
      const many = Array.from(
        { length: 8 },
        (_, i) => new PgAlertStore(sql, { owner: `r${i}` }),
      );
      const got = await Promise.all(many.map((s) => s.claims.claimPending()));
      assert.deepEqual(
        got.flat().map((p) => p.event.id).sort(),
        [ev1.id, ev2.id],
      );
    } finally {
      await sql.end({ timeout: 1 });
    }
  });

  Deno.test({
    name: "pg pending claims: stop the cluster",
    sanitizeResources: false,
    sanitizeOps: false,
    fn: () => dbs.stop(),
  });
}
