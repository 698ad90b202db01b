// The alert store on a real PostgreSQL (a throw-away cluster): the
// AlertStore suite (alert_store_suite.ts).
import { gate } from "../../testing/gate.ts";
import { postgresUnavailableReason } from "../../testing/postgres.ts";
import { pgDatabases } from "../../testing/pg_databases.ts";
import { PgAlertStore } from "./pg_alert_store.ts";
import { alertStoreSuite } from "./alert_store_suite.ts";

const ignore = gate("pg alert store", postgresUnavailableReason());

if (!ignore) {
  const dbs = pgDatabases("alerts");
  alertStoreSuite("pg alert store", async () => {
    const { sql } = await dbs.fresh();
    return {
      store: new PgAlertStore(sql),
      again: () => new PgAlertStore(sql),
      close: () => sql.end({ timeout: 1 }),
    };
  });

  Deno.test({
    name: "pg alert store: stop the cluster",
    sanitizeResources: false,
    sanitizeOps: false,
    fn: () => dbs.stop(),
  });
}
