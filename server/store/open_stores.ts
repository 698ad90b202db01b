// Which stores the service uses: with a database URL, PostgreSQL for tests
// and events, monitors and their rollups, alerts, the audit trail and
// sessions (shared by every replica on it); without, the embedded KV file for
// all of them but sessions, which stay in memory.
import { KvStore } from "./kv_store.ts";
import { AuditLog } from "./audit_log.ts";
import type { AuditStore } from "./audit_store.ts";
import type { RunStore } from "./run_store.ts";
import {
  MemorySessionStore,
  type SessionStoreFactory,
} from "../auth/session_store.ts";
import { openPg, type Sql } from "./pg/pg_client.ts";
import { PgRunStore } from "./pg/pg_run_store.ts";
import { PgAuditLog } from "./pg/pg_audit_log.ts";
import { PgSessionStore } from "./pg/pg_session_store.ts";
import type { MonitorStore } from "../monitors/monitor_store.ts";
import { KvMonitorStore } from "../monitors/kv_monitor_store.ts";
import { PgMonitorStore } from "../monitors/pg_monitor_store.ts";
import type { AlertStore } from "../alerts/alert_store.ts";
import { KvAlertStore } from "../alerts/kv_alert_store.ts";
import { PgAlertStore } from "../alerts/pg_alert_store.ts";
import type { MonitorRetention } from "../../model/monitor.ts";

export interface OpenStoresOptions {
  /** The KV file (":memory:" for none); used when there is no databaseUrl. */
  kvPath: string;
  /** postgres://...: everything in PostgreSQL. */
  databaseUrl?: string;
  /** This process's id among replicas: the owner of the tests it runs. */
  replicaId: string;
  /** How often buffered events are written (default: each store's own). */
  flushEveryMs?: number;
  /** How long monitor points are kept, per resolution (the config's). */
  monitorRetention?: MonitorRetention;
}

export interface Stores {
  kind: "kv" | "postgres";
  runs: RunStore;
  audit: AuditStore;
  monitors: MonitorStore;
  alerts: AlertStore;
  /** The session store for a session lifetime. */
  sessions: SessionStoreFactory;
  /** The KV handle (KV only): other records kept in the same file. */
  kv?: Deno.Kv;
  /** The pool (PostgreSQL only), for the other PostgreSQL stores. */
  sql?: Sql;
  /** Flushes and closes the stores, then the KV file or the pool. */
  close(): Promise<void>;
}

/** Opens the stores; errors name the KV path or the (password-less) database URL. */
export async function openStores(options: OpenStoresOptions): Promise<Stores> {
  const { databaseUrl, flushEveryMs } = options;
  if (databaseUrl) {
    const sql = await openPg(databaseUrl);
    try {
      const runs = await PgRunStore.open(sql, {
        owner: options.replicaId,
        flushEveryMs,
      });
      return {
        kind: "postgres",
        runs,
        audit: new PgAuditLog(sql),
        monitors: new PgMonitorStore(sql, options.monitorRetention),
        // Claims name the replica, and this process: a restart under the
        // same id does not take over what a process still alive holds.
        alerts: new PgAlertStore(sql, {
          owner: `${options.replicaId}/${crypto.randomUUID().slice(0, 8)}`,
        }),
        sessions: (lifetimeMs) => new PgSessionStore(sql, lifetimeMs),
        sql,
        async close() {
          await runs.close();
          await sql.end({ timeout: 5 });
        },
      };
    } catch (e) {
      await sql.end({ timeout: 1 }).catch(() => {});
      throw e;
    }
  }
  const runs = await KvStore.open(options.kvPath, { flushEveryMs });
  return {
    kind: "kv",
    runs,
    audit: new AuditLog(runs.kv),
    monitors: new KvMonitorStore(runs.kv, options.monitorRetention),
    alerts: new KvAlertStore(runs.kv),
    sessions: (lifetimeMs) => new MemorySessionStore(lifetimeMs),
    kv: runs.kv,
    close: () => runs.close(),
  };
}
