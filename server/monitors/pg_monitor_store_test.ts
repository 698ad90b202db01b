// The monitor store on a real PostgreSQL (a throw-away cluster): the
// MonitorStore suite (monitor_store_suite.ts), and what only PostgreSQL
// does: expired rows hidden from reads and deleted in batches.
import assert from "node:assert/strict";
import { gate } from "../../testing/gate.ts";
import { postgresUnavailableReason } from "../../testing/postgres.ts";
import { pgDatabases } from "../../testing/pg_databases.ts";
import { PgMonitorStore } from "./pg_monitor_store.ts";
import { fakePoint, monitorStoreSuite } from "./monitor_store_suite.ts";

const ignore = gate("pg monitor store", postgresUnavailableReason());

if (!ignore) {
  const dbs = pgDatabases("mon");
  monitorStoreSuite("pg monitor store", async (retention) => {
    const { sql } = await dbs.fresh();
    return {
      store: new PgMonitorStore(sql, retention),
      again: () => new PgMonitorStore(sql, retention),
      close: () => sql.end({ timeout: 1 }),
    };
  });

  Deno.test("pg monitor store: expired rows are not read, and purgeExpired deletes them", async () => {
    const { sql } = await dbs.fresh();
    try {
      // Step points and hops kept 1.5 s; gaps (day retention) 2 s.
      const days = (s: number) => s / 86_400;
      const store = new PgMonitorStore(sql, {
        step_days: days(1.5),
        hour_days: 1,
        day_days: days(2),
      });
      const now = Date.now();
      await store.putPoint("m1", "step", fakePoint(now - 1000, 1));
      await store.putPoint("m1", "step", fakePoint(now, 1));
      await store.putPoint("m1", "hour", fakePoint(now - 1000, 3600));
      await store.putGap("m1", { from: now - 5000, to: now });
      await store.putHops("m1", now, [[1, "192.0.2.1", 0, 1]]);
      assert.equal((await store.points("m1", "step", 0, now + 1)).length, 2);
      assert.equal((await store.gaps("m1", 0, now + 1)).length, 1);
      assert.notEqual(await store.latestHops("m1"), null);
      // The writes above purged nothing yet (nothing had expired).
      const rows = async (table: string) =>
        (await sql`select count(*)::int as n from ${sql(table)}`)[0].n;
      assert.equal(await rows("pla_monitor_points"), 3);
      await new Promise((r) => setTimeout(r, 2100));
      const later = Date.now();
      assert.deepEqual(await store.points("m1", "step", 0, later), []);
      assert.equal(await store.count("m1", "step", 0, later, 10), 0);
      assert.equal(await store.lastPoint("m1"), null);
      assert.deepEqual(await store.gaps("m1", 0, later), []);
      assert.equal(await store.latestHops("m1"), null);
      // The hour point (kept a day) is still there.
      assert.equal((await store.lastPoint("m1", "hour"))!.t, now - 1000);
      assert.equal(await store.purgeExpired(), 4);
      assert.equal(await rows("pla_monitor_points"), 1);
      assert.equal(await rows("pla_monitor_gaps"), 0);
      assert.equal(await rows("pla_monitor_hops"), 0);
      assert.equal(await store.purgeExpired(), 0);
    } finally {
      await sql.end({ timeout: 1 });
    }
  });

  Deno.test({
    name: "pg monitor store: stop the cluster",
    sanitizeResources: false,
    sanitizeOps: false,
    fn: () => dbs.stop(),
  });
}
