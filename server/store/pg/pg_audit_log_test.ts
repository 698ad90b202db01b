// The audit suite on PostgreSQL (a throw-away cluster, a database per test).
import { gate } from "../../../testing/gate.ts";
import { postgresUnavailableReason } from "../../../testing/postgres.ts";
import {
  freshDatabase,
  stopTestCluster,
} from "../../../testing/pg_test_cluster.ts";
import { auditStoreSuite } from "../../../testing/audit_store_suite.ts";
import { PgAuditLog } from "./pg_audit_log.ts";

const ignore = gate("PostgreSQL audit trail", postgresUnavailableReason());

auditStoreSuite("PgAuditLog", async () => {
  const { sql } = await freshDatabase();
  return { audit: new PgAuditLog(sql), close: () => sql.end() };
}, { ignore });

stopTestCluster(ignore);
