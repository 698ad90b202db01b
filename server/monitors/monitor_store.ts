// What the monitors need from a store: points per resolution (step, hour,
// day) kept for the retention of their resolution, gaps, a path monitor's
// hops, the specs created through the API, and the rollups. Two
// implementations: KvMonitorStore (the embedded Deno KV file, the default)
// and PgMonitorStore (PostgreSQL, shared by replicas); one test suite runs
// on both (monitor_store_suite.ts).
import type {
  MonitorGap,
  MonitorHopRow,
  MonitorPoint,
  MonitorRetention,
  MonitorSpec,
  Resolution,
} from "../../model/monitor.ts";

/** One hop of a path step: [hop, address or null, loss %, avg RTT ms or null]. */
export type HopRow = MonitorHopRow;

export const DAY_MS = 86_400_000;
export const SPAN_MS: Record<"hour" | "day", number> = {
  hour: 3_600_000,
  day: DAY_MS,
};

export const DEFAULT_RETENTION: MonitorRetention = {
  step_days: 14,
  hour_days: 365,
  day_days: 1825,
};

/** How long points of a resolution are kept, ms. */
export function retentionMs(r: MonitorRetention, res: Resolution): number {
  const days = res === "step"
    ? r.step_days
    : res === "hour"
    ? r.hour_days
    : r.day_days;
  return days * DAY_MS;
}

export interface MonitorStore {
  readonly retention: MonitorRetention;
  /**
   * Stores (or replaces) a point; kept until its own age (from `t`) reaches
   * its resolution's retention, so a point already that old is not stored.
   */
  putPoint(id: string, res: Resolution, p: MonitorPoint): Promise<void>;
  /** Points with from <= t < to, oldest first (at most `limit`). */
  points(
    id: string,
    res: Resolution,
    from: number,
    to: number,
    limit?: number,
  ): Promise<MonitorPoint[]>;
  /** Points with from <= t < to counted up to cap + 1, for choosing a resolution. */
  count(
    id: string,
    res: Resolution,
    from: number,
    to: number,
    cap: number,
  ): Promise<number>;
  /** The newest point of a resolution (default step), else null. */
  lastPoint(id: string, res?: Resolution): Promise<MonitorPoint | null>;
  /** Records a time without data (kept as long as day points); empty gaps are ignored. */
  putGap(id: string, gap: MonitorGap): Promise<void>;
  /** Gaps overlapping [from, to), by start. */
  gaps(id: string, from: number, to: number): Promise<MonitorGap[]>;
  /** A path step's hops (kept as long as step points, from now). */
  putHops(id: string, t: number, hops: HopRow[]): Promise<void>;
  latestHops(id: string): Promise<{ t: number; hops: HopRow[] } | null>;
  /** Creates or replaces a spec made through the API. */
  putSpec(spec: MonitorSpec): Promise<void>;
  deleteSpec(id: string): Promise<void>;
  /** Every stored spec, by id. */
  specs(): Promise<MonitorSpec[]>;
  /**
   * Rolls up every complete hour (from step points) and day (from hour
   * points) that ends at or before `upTo` and has no rollup yet; returns the
   * new rollups. Resumes after the newest stored rollup of each resolution
   * (restart-safe: nothing is made twice).
   */
  rollUp(id: string, upTo: number): Promise<MonitorPoint[]>;
}
