// `deno task migrate --from-kv`: the alerts' part (rule states, events,
// pending webhooks, delivery attempts) of a KV file copied into PostgreSQL
// (pg_alert_store.ts's tables). Idempotent: what is already there stays.
import type { AlertEvent, DeliveryRecord } from "../../model/monitor.ts";
import type { CopyResult, KvCopier } from "../store/pg/kv_copier.ts";
import type { Sql } from "../store/pg/pg_client.ts";
import { copyRows, kvRows } from "../monitors/kv_copy_rows.ts";
import type { RuleState } from "./alert_evaluator.ts";
import type { Pending } from "./alert_store.ts";

export interface AlertCopyCounts {
  states: number;
  events: number;
  pending: number;
  deliveries: number;
}

// deno-lint-ignore no-explicit-any
const json = (sql: Sql, v: unknown) => sql.json(v as any);

/** Copies what is missing; returns the rows added per table. */
export async function copyAlerts(
  kv: Deno.Kv,
  sql: Sql,
): Promise<AlertCopyCounts> {
  const states = await copyRows(
    sql,
    "pla_alert_states",
    kvRows<RuleState>(kv, ["alert_state"], (k, v) => ({
      monitor: k[1] as string,
      rule: k[2] as string,
      state: json(sql, v),
    })),
  );
  const events = await copyRows(
    sql,
    "pla_alert_events",
    kvRows<AlertEvent>(kv, ["alert_event"], (_k, v) => ({
      id: v.id,
      monitor: v.monitor,
      state: v.state,
      body: json(sql, v),
    })),
  );
  const pending = await copyRows(
    sql,
    "pla_alert_pending",
    kvRows<Pending>(kv, ["alert_pending"], (k, v) => ({
      event_id: k[1] as string,
      notify: k[2] as string,
      body: json(sql, v),
    })),
  );
  const deliveries = await copyRows(
    sql,
    "pla_alert_deliveries",
    kvRows<DeliveryRecord>(kv, ["alert_delivery"], (k, v) => ({
      event_id: k[1] as string,
      notify: k[2] as string,
      attempt: k[3] as number,
      body: json(sql, v),
    })),
  );
  return { states, events, pending, deliveries };
}

/**
 * The copier `deno task migrate --from-kv` runs (server/store/pg/kv_copiers.ts):
 * copies what is missing; the rows added per table go in the report.
 */
export const alertKvCopy: KvCopier = {
  name: "alerts",
  copy: async (kv: Deno.Kv, sql: Sql): Promise<CopyResult> => {
    const counts = await copyAlerts(kv, sql);
    return {
      copied: Object.values(counts).reduce((a, b) => a + b, 0),
      skipped: [],
      notes: Object.entries(counts).map(([table, n]) => `${n} ${table}`),
    };
  },
};
