// migrate --from-kv, the alerts' part: a KV file written by KvAlertStore,
// copied into a real PostgreSQL, reads the same through PgAlertStore; a
// second copy adds nothing.
import assert from "node:assert/strict";
import { gate } from "../../testing/gate.ts";
import { postgresUnavailableReason } from "../../testing/postgres.ts";
import { pgDatabases } from "../../testing/pg_databases.ts";
import { initialState } from "./alert_evaluator.ts";
import type { AlertStore } from "./alert_store.ts";
import { KvAlertStore } from "./kv_alert_store.ts";
import { PgAlertStore } from "./pg_alert_store.ts";
import { alertKvCopy, copyAlerts } from "./alert_kv_copy.ts";
import { alertEvent, pendingOf } from "./alert_store_suite.ts";
import { T0, tempKvPath } from "./alert_testkit.ts";

const ignore = gate("alert kv copy", postgresUnavailableReason());

/** Everything a store holds, as plain data. */
async function contents(s: AlertStore, ids: string[]) {
  const lists = [];
  for (const monitor of [undefined, "m-a", "m-b"]) {
    for (const state of [undefined, "ok", "firing"] as const) {
      lists.push(await s.list({ monitor, state, limit: 1000 }));
    }
  }
  return {
    states: await s.states(),
    lists,
    pending: await s.pending(),
    deliveries: await Promise.all(ids.map((id) => s.deliveries(id))),
    events: await Promise.all(ids.map((id) => s.event(id))),
  };
}

if (!ignore) {
  const dbs = pgDatabases("alertcopy");

  Deno.test("alert kv copy: PostgreSQL reads what the KV file held; a second copy adds nothing", async () => {
    const kv = await Deno.openKv(await tempKvPath());
    const { sql } = await dbs.fresh();
    try {
      const kvs = new KvAlertStore(kv);
      const ids: string[] = [];
      for (let i = 0; i < 12; i++) {
        const at = T0 + i * 1000;
        const ev = alertEvent(
          kvs.newId(at),
          i % 2 ? "m-a" : "m-b",
          i % 3 ? "ok" : "firing",
          at,
        );
        ids.push(ev.id);
        await kvs.putEvent(
          ev.monitor,
          `r${i % 4}`,
          {
            ...initialState(),
            streak: i,
          },
          ev,
          i < 3 ? [pendingOf(ev, "ops"), pendingOf(ev, "chat")] : [],
        );
      }
      await kvs.recordAttempt({
        alert_event: ids[0],
        notify: "ops",
        attempt: 1,
        at: new Date(T0).toISOString(),
        ok: true,
        status: 200,
        error: null,
      }, null);
      await kvs.putState("m-c", "gone", initialState());

      const counts = await copyAlerts(kv, sql);
      assert.deepEqual(counts, {
        states: 5,
        events: 12,
        pending: 5,
        deliveries: 1,
      });
      const pgs = new PgAlertStore(sql);
      const want = await contents(kvs, ids);
      assert.equal(want.lists[0].alerts.length, 12);
      assert.deepEqual(await contents(pgs, ids), want);
      assert.equal((await alertKvCopy.copy(kv, sql)).copied, 0);
      // Something new in the KV file since: just that is added.
      await kvs.putState("m-d", "new", initialState());
      assert.equal((await alertKvCopy.copy(kv, sql)).copied, 1);
      assert.equal((await pgs.states()).length, 6);
      assert.equal(alertKvCopy.name, "alerts");
    } finally {
      kv.close();
      await sql.end({ timeout: 1 });
    }
  });

  Deno.test({
    name: "alert kv copy: stop the cluster",
    sanitizeResources: false,
    sanitizeOps: false,
    fn: () => dbs.stop(),
  });
}
