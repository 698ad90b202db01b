// migrate --from-kv, the monitors' part: a KV file written by KvMonitorStore,
// copied into a real PostgreSQL, reads the same through PgMonitorStore; a
// second copy adds nothing and a row already in PostgreSQL stays as it is.
import assert from "node:assert/strict";
import { gate } from "../../testing/gate.ts";
import { postgresUnavailableReason } from "../../testing/postgres.ts";
import { pgDatabases } from "../../testing/pg_databases.ts";
import { tempKvPath } from "../alerts/alert_testkit.ts";
import type { MonitorStore } from "./monitor_store.ts";
import { KvMonitorStore } from "./kv_monitor_store.ts";
import { PgMonitorStore } from "./pg_monitor_store.ts";
import { copyMonitors, monitorKvCopy } from "./monitor_kv_copy.ts";
import { fakePoint, spec } from "./monitor_store_suite.ts";

const ignore = gate("monitor kv copy", postgresUnavailableReason());
const H = 3_600_000;
const DAY = 86_400_000;

/** Everything a store holds for the monitors below, as plain data. */
async function contents(s: MonitorStore, now: number) {
  const out: Record<string, unknown> = { specs: await s.specs() };
  for (const id of ["m1", "m2", "p1"]) {
    for (const res of ["step", "hour", "day"] as const) {
      out[`${id}/${res}`] = await s.points(id, res, 0, now + DAY);
    }
    out[`${id}/gaps`] = await s.gaps(id, 0, now + DAY);
    out[`${id}/hops`] = await s.latestHops(id);
  }
  return out;
}

if (!ignore) {
  const dbs = pgDatabases("moncopy");

  Deno.test("monitor kv copy: PostgreSQL reads what the KV file held; a second copy adds nothing", async () => {
    const kv = await Deno.openKv(await tempKvPath());
    const { sql } = await dbs.fresh();
    try {
      const now = Date.now();
      const kvs = new KvMonitorStore(kv);
      const t0 = Math.floor(now / DAY) * DAY - 3 * DAY;
      for (let t = t0; t < t0 + 50 * H; t += 600_000) {
        await kvs.putPoint("m1", "step", fakePoint(t, 600, 1 + (t % 7)));
      }
      await kvs.rollUp("m1", t0 + 50 * H);
      await kvs.putPoint("m2", "step", fakePoint(now - 60_000, 60, 3));
      await kvs.putGap("m1", { from: t0 + 5 * H, to: t0 + 6 * H });
      await kvs.putHops("p1", now - 120_000, [[1, "192.0.2.1", 0, 1]]);
      await kvs.putHops("p1", now - 60_000, [[1, null, 100, null]]);
      await kvs.putSpec(spec("m2"));
      await kvs.putSpec(spec("p1"));
      // Already in PostgreSQL (a copy before, or a change since): kept.
      const pgs = new PgMonitorStore(sql);
      await pgs.putSpec(spec("p1", "elsewhere"));

      const counts = await copyMonitors(kv, sql);
      assert.deepEqual(counts, {
        points: 300 + 50 + 2 + 1,
        gaps: 1,
        hops: 2,
        specs: 1,
      });
      const want = await contents(kvs, now);
      want.specs = [spec("m2"), spec("p1", "elsewhere")];
      assert.deepEqual(await contents(pgs, now), want);
      assert.equal((want["m1/hour"] as unknown[]).length, 50);
      // Rolled up already: PostgreSQL does not make those again.
      assert.deepEqual(await pgs.rollUp("m1", t0 + 50 * H), []);

      assert.equal((await monitorKvCopy.copy(kv, sql)).copied, 0);
      assert.equal(monitorKvCopy.name, "monitors");
    } finally {
      kv.close();
      await sql.end({ timeout: 1 });
    }
  });

  Deno.test("monitor kv copy: rows older than the retention are left behind", async () => {
    const kv = await Deno.openKv(await tempKvPath());
    const { sql } = await dbs.fresh();
    try {
      const now = Date.now();
      // Written under a long retention; copied under a 1-day one.
      const kvs = new KvMonitorStore(kv, {
        step_days: 30,
        hour_days: 30,
        day_days: 30,
      });
      await kvs.putPoint("m1", "step", fakePoint(now - 2 * DAY, 60));
      await kvs.putPoint("m1", "step", fakePoint(now - H, 60));
      await kvs.putGap("m1", { from: now - 3 * DAY, to: now - 2 * DAY });
      const short = { step_days: 1, hour_days: 1, day_days: 1 };
      const counts = await copyMonitors(kv, sql, short);
      assert.deepEqual(counts, { points: 1, gaps: 0, hops: 0, specs: 0 });
      const pgs = new PgMonitorStore(sql, short);
      assert.deepEqual(
        (await pgs.points("m1", "step", 0, now)).map((p) => p.t),
        [now - H],
      );
    } finally {
      kv.close();
      await sql.end({ timeout: 1 });
    }
  });

  Deno.test({
    name: "monitor kv copy: stop the cluster",
    sanitizeResources: false,
    sanitizeOps: false,
    fn: () => dbs.stop(),
  });
}
