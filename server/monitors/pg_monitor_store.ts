// Monitors in PostgreSQL (MonitorStore on the shared database; tables in
// migrations/002_monitors.ts). Points are stored in the KV store's encoding
// (point_codec.ts). Retention: each row carries its expiry (KV's expireIn
// has no PostgreSQL counterpart); reads skip expired rows and purgeExpired
// deletes them in bounded batches, run by the writes at most every few
// minutes.
import { Buffer } from "node:buffer";
import type {
  MonitorGap,
  MonitorPoint,
  MonitorRetention,
  MonitorSpec,
  Resolution,
} from "../../model/monitor.ts";
import type { Sql } from "../store/pg/pg_client.ts";
import { decodePoint, encodePoint } from "./point_codec.ts";
import {
  DEFAULT_RETENTION,
  type HopRow,
  type MonitorStore,
  retentionMs,
} from "./monitor_store.ts";
import { rollUpPass } from "./rollup_pass.ts";

/** Expired rows are deleted this often at most (by the writes). */
export const PURGE_EVERY_MS = 5 * 60_000;
/** Rows one purge statement deletes at most (short locks, short statements). */
const PURGE_BATCH = 5_000;
/** Batches one purge runs at most; the rest waits for the next. */
const PURGE_BATCHES = 20;

const EXPIRING = [
  "pla_monitor_points",
  "pla_monitor_gaps",
  "pla_monitor_hops",
] as const;

type PointRow = { t: number; point: Uint8Array };
const decodeRow = (r: PointRow) => decodePoint(r.t, r.point);

export class PgMonitorStore implements MonitorStore {
  #nextPurge = 0;

  constructor(
    readonly sql: Sql,
    readonly retention: MonitorRetention = DEFAULT_RETENTION,
  ) {}

  async putPoint(id: string, res: Resolution, p: MonitorPoint): Promise<void> {
    // As in the KV store: a point expires when its own age reaches the
    // retention, so one already that old is not stored.
    const expires = p.t + retentionMs(this.retention, res);
    if (expires <= Date.now()) return;
    const bytes = Buffer.from(encodePoint(p));
    await this.sql`
      insert into pla_monitor_points (monitor, res, t, point, expires_at)
      values (${id}, ${res}, ${p.t}, ${bytes}, ${expires})
      on conflict (monitor, res, t)
      do update set point = excluded.point, expires_at = excluded.expires_at`;
    await this.#maybePurge();
  }

  async points(
    id: string,
    res: Resolution,
    from: number,
    to: number,
    limit = 100_000,
  ): Promise<MonitorPoint[]> {
    const rows = await this.sql<PointRow[]>`
      select t, point from pla_monitor_points
      where monitor = ${id} and res = ${res} and t >= ${from} and t < ${to}
        and expires_at > ${Date.now()}
      order by t limit ${limit}`;
    return rows.map(decodeRow);
  }

  async count(
    id: string,
    res: Resolution,
    from: number,
    to: number,
    cap: number,
  ): Promise<number> {
    const [{ n }] = await this.sql<{ n: number }[]>`
      select count(*)::int as n from (
        select 1 from pla_monitor_points
        where monitor = ${id} and res = ${res} and t >= ${from} and t < ${to}
          and expires_at > ${Date.now()}
        limit ${cap + 1}) as c`;
    return n;
  }

  async lastPoint(
    id: string,
    res: Resolution = "step",
  ): Promise<MonitorPoint | null> {
    const rows = await this.sql<PointRow[]>`
      select t, point from pla_monitor_points
      where monitor = ${id} and res = ${res} and expires_at > ${Date.now()}
      order by t desc limit 1`;
    return rows.length ? decodeRow(rows[0]) : null;
  }

  /** The oldest point with t >= from, else null. */
  async firstPoint(
    id: string,
    res: Resolution,
    from = 0,
  ): Promise<MonitorPoint | null> {
    const rows = await this.sql<PointRow[]>`
      select t, point from pla_monitor_points
      where monitor = ${id} and res = ${res} and t >= ${from}
        and expires_at > ${Date.now()}
      order by t limit 1`;
    return rows.length ? decodeRow(rows[0]) : null;
  }

  async putGap(id: string, gap: MonitorGap): Promise<void> {
    if (gap.to <= gap.from) return;
    const expires = gap.to + retentionMs(this.retention, "day");
    if (expires <= Date.now()) return;
    await this.sql`
      insert into pla_monitor_gaps (monitor, from_t, to_t, expires_at)
      values (${id}, ${gap.from}, ${gap.to}, ${expires})
      on conflict (monitor, from_t)
      do update set to_t = excluded.to_t, expires_at = excluded.expires_at`;
  }

  async gaps(id: string, from: number, to: number): Promise<MonitorGap[]> {
    const rows = await this.sql<{ from_t: number; to_t: number }[]>`
      select from_t, to_t from pla_monitor_gaps
      where monitor = ${id} and from_t < ${to} and to_t > ${from}
        and expires_at > ${Date.now()}
      order by from_t`;
    return rows.map((r) => ({ from: r.from_t, to: r.to_t }));
  }

  async putHops(id: string, t: number, hops: HopRow[]): Promise<void> {
    // As in the KV store: kept for the step retention from now.
    const expires = Date.now() + retentionMs(this.retention, "step");
    await this.sql`
      insert into pla_monitor_hops (monitor, t, hops, expires_at)
      values (${id}, ${t}, ${this.sql.json(hops)}, ${expires})
      on conflict (monitor, t)
      do update set hops = excluded.hops, expires_at = excluded.expires_at`;
  }

  async latestHops(id: string): Promise<{ t: number; hops: HopRow[] } | null> {
    const rows = await this.sql<{ t: number; hops: HopRow[] }[]>`
      select t, hops from pla_monitor_hops
      where monitor = ${id} and expires_at > ${Date.now()}
      order by t desc limit 1`;
    return rows.length ? { t: rows[0].t, hops: rows[0].hops } : null;
  }

  async putSpec(spec: MonitorSpec): Promise<void> {
    await this.sql`
      insert into pla_monitor_specs (id, spec)
      values (${spec.id}, ${this.sql.json(spec)})
      on conflict (id) do update set spec = excluded.spec`;
  }

  async deleteSpec(id: string): Promise<void> {
    await this.sql`delete from pla_monitor_specs where id = ${id}`;
  }

  async specs(): Promise<MonitorSpec[]> {
    const rows = await this.sql<{ spec: MonitorSpec }[]>`
      select spec from pla_monitor_specs order by id`;
    return rows.map((r) => r.spec);
  }

  async rollUp(id: string, upTo: number): Promise<MonitorPoint[]> {
    const made = await rollUpPass(this, id, upTo);
    await this.#maybePurge();
    return made;
  }

  async #maybePurge(): Promise<void> {
    const now = Date.now();
    if (now < this.#nextPurge) return;
    this.#nextPurge = now + PURGE_EVERY_MS;
    try {
      await this.purgeExpired(now);
    } catch (e) {
      // Expired rows are invisible anyway; the next purge retries.
      console.error("monitors: deleting expired rows failed:", e);
    }
  }

  /** Deletes rows expired at `now` (bounded batches per table); returns how many. */
  async purgeExpired(now = Date.now()): Promise<number> {
    let total = 0;
    for (const table of EXPIRING) {
      for (let b = 0; b < PURGE_BATCHES; b++) {
        const r = await this.sql`
          delete from ${this.sql(table)} where ctid in (
            select ctid from ${this.sql(table)}
            where expires_at <= ${now} limit ${PURGE_BATCH})`;
        total += r.count;
        if (r.count < PURGE_BATCH) break;
      }
    }
    return total;
  }
}
