// `deno task migrate --from-kv`: the monitors' part (points, gaps, hops,
// API specs) of a KV file copied into PostgreSQL (pg_monitor_store.ts's
// tables). Idempotent: what is already there stays. The KV file does not
// tell when an entry expires: a copied row expires when its age reaches the
// retention (the config's, else the defaults), as the stores' writes do, and
// a row already older is not copied.
import { Buffer } from "node:buffer";
import type {
  MonitorGap,
  MonitorRetention,
  MonitorSpec,
  Resolution,
} from "../../model/monitor.ts";
import type { CopyResult, KvCopier } from "../store/pg/kv_copier.ts";
import type { Sql } from "../store/pg/pg_client.ts";
import {
  DEFAULT_RETENTION,
  type HopRow,
  retentionMs,
} from "./monitor_store.ts";
import { copyRows, kvRows } from "./kv_copy_rows.ts";

export interface MonitorCopyCounts {
  points: number;
  gaps: number;
  hops: number;
  specs: number;
}

/** Copies what is missing; returns the rows added per table. */
export async function copyMonitors(
  kv: Deno.Kv,
  sql: Sql,
  retention: MonitorRetention = DEFAULT_RETENTION,
  now = Date.now(),
): Promise<MonitorCopyCounts> {
  const keep = (res: Resolution, t: number) => {
    const expires = t + retentionMs(retention, res);
    return expires > now ? expires : null;
  };
  const points = await copyRows(
    sql,
    "pla_monitor_points",
    kvRows<Uint8Array>(kv, ["mon_point"], (k, v) => {
      const [, monitor, res, t] = k as [string, string, Resolution, number];
      const expires_at = keep(res, t);
      return expires_at === null
        ? null
        : { monitor, res, t, point: Buffer.from(v), expires_at };
    }),
  );
  const gaps = await copyRows(
    sql,
    "pla_monitor_gaps",
    kvRows<MonitorGap>(kv, ["mon_gap"], (k, v) => {
      const expires_at = keep("day", v.to);
      return expires_at === null ? null : {
        monitor: k[1] as string,
        from_t: v.from,
        to_t: v.to,
        expires_at,
      };
    }),
  );
  const hops = await copyRows(
    sql,
    "pla_monitor_hops",
    kvRows<HopRow[]>(kv, ["mon_hops"], (k, v) => {
      const t = k[2] as number;
      const expires_at = keep("step", t);
      return expires_at === null
        ? null
        : { monitor: k[1] as string, t, hops: sql.json(v), expires_at };
    }),
  );
  const specs = await copyRows(
    sql,
    "pla_monitor_specs",
    kvRows<MonitorSpec>(kv, ["mon_spec"], (_k, v) => ({
      id: v.id,
      // deno-lint-ignore no-explicit-any
      spec: sql.json(v as any),
    })),
  );
  return { points, gaps, hops, specs };
}

/**
 * The copier `deno task migrate --from-kv` runs (server/store/pg/kv_copiers.ts):
 * copies what is missing; the rows added per table go in the report.
 */
export const monitorKvCopy: KvCopier = {
  name: "monitors",
  copy: async (kv: Deno.Kv, sql: Sql): Promise<CopyResult> => {
    const counts = await copyMonitors(kv, sql);
    return {
      copied: Object.values(counts).reduce((a, b) => a + b, 0),
      skipped: [],
      notes: Object.entries(counts).map(([table, n]) => `${n} ${table}`),
    };
  },
};
