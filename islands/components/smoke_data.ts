// Pure transforms from the monitor series API to uPlot's aligned arrays for
// the smoke chart (SmokePing's drawing): the RTT deciles as smoke bands, the
// median line in one series per loss class, gaps as nulls (never as zero or
// loss), and fully lost steps as markers. No DOM, no uPlot: unit-tested.
import type {
  MonitorGap,
  MonitorPoint,
  Resolution,
} from "../../model/monitor.ts";
import { MAX_SERIES_POINTS } from "../../model/monitor_event_types.ts";

/** SmokePing's loss colours, by the share of probes lost in a step. */
export interface LossClass {
  /** Highest loss % in the class (inclusive). */
  max: number;
  label: string;
  color: string;
}
export const LOSS_CLASSES: readonly LossClass[] = [
  { max: 0, label: "0 %", color: "#1fbf1f" },
  { max: 5, label: "≤5 %", color: "#00b8ff" },
  { max: 10, label: "≤10 %", color: "#0059ff" },
  { max: 15, label: "≤15 %", color: "#5e00ff" },
  { max: 50, label: "≤50 %", color: "#7e00ff" },
  { max: 95, label: "≤95 %", color: "#dd00ff" },
  { max: 100, label: ">95 %", color: "#ff0000" },
];

/** Index into LOSS_CLASSES of a loss %. */
export function lossClass(loss_pct: number): number {
  const i = LOSS_CLASSES.findIndex((c) => loss_pct <= c.max);
  return i < 0 ? LOSS_CLASSES.length - 1 : i;
}

/** Decile pairs filled as bands, outermost first (p10-p90 ... p40-p60). */
export const BAND_PAIRS: readonly [number, number][] = [
  [0, 8],
  [1, 7],
  [2, 6],
  [3, 5],
];

/** Column indexes in SmokeData.data. */
export const COL = {
  x: 0,
  /** p10..p90 at 1..9 */
  decile: (d: number) => 1 + d,
  /** The median of loss class k. */
  median: (k: number) => 10 + k,
  /** Steps where nothing answered (100 % loss, no RTT at all). */
  lost: 10 + LOSS_CLASSES.length,
} as const;
export const SERIES_COUNT = COL.lost + 1;

export type Column = (number | null)[];

export interface SmokeData {
  /** [x (s), p10..p90, median per loss class..., lost marker]. */
  data: Column[];
  /** Index in data[0] of every gap row (all nulls). */
  gapRows: number[];
  /** The point of each row; null for a gap row. */
  rows: (MonitorPoint | null)[];
  /** Highest p90 / median shown, for the y range. */
  maxMs: number;
}

/** A step too far after the previous one (more than 1.5 spans): a gap. */
const missingBetween = (a: MonitorPoint, b: MonitorPoint) =>
  b.t - a.t > a.span_s * 1500;

/**
 * Builds the smoke chart's columns. Gaps (given, or points further apart
 * than their span) become a row of nulls, so no line or band crosses them.
 * A median segment from step i to i+1 is drawn by the class of step i (its
 * series has values at both ends); other classes have nulls there.
 */
export function smokeData(
  points: readonly MonitorPoint[],
  gaps: readonly MonitorGap[] = [],
): SmokeData {
  const sorted = [...points].sort((a, b) => a.t - b.t);
  const cols: Column[] = Array.from({ length: SERIES_COUNT }, () => []);
  const gapRows: number[] = [];
  const rows: (MonitorPoint | null)[] = [];
  let maxMs = 0;
  const gapStarts = [...gaps].map((g) => g.from).sort((a, b) => a - b);
  let gi = 0;
  const pushGap = (t: number) => {
    gapRows.push(cols[0].length);
    rows.push(null);
    cols[0].push(t / 1000);
    for (let c = 1; c < SERIES_COUNT; c++) cols[c].push(null);
  };
  let prevClass = -1;
  let prev: MonitorPoint | null = null;
  for (const p of sorted) {
    // Gaps that start before this point (and after the previous one).
    let gapped = false;
    while (gi < gapStarts.length && gapStarts[gi] <= p.t) {
      if (!prev || gapStarts[gi] >= prev.t) {
        if (!gapped) pushGap(Math.max(gapStarts[gi], prev ? prev.t + 1 : 0));
        gapped = true;
      }
      gi++;
    }
    if (!gapped && prev && missingBetween(prev, p)) {
      pushGap(prev.t + prev.span_s * 1000);
      gapped = true;
    }
    if (gapped) prevClass = -1;
    const row = cols[0].length;
    rows.push(p);
    cols[0].push(p.t / 1000);
    const has = p.deciles_ms.length === 9;
    for (let d = 0; d < 9; d++) {
      cols[COL.decile(d)].push(has ? p.deciles_ms[d] : null);
    }
    const k = lossClass(p.loss_pct);
    for (let c = 0; c < LOSS_CLASSES.length; c++) {
      cols[COL.median(c)].push(
        // Its own class, and the end of the previous step's segment.
        p.median_rtt_ms !== null && (c === k || c === prevClass)
          ? p.median_rtt_ms
          : null,
      );
    }
    // The previous step's class ends here only if this step has a median.
    if (p.median_rtt_ms === null && prevClass >= 0) {
      cols[COL.median(prevClass)][row] = null;
    }
    const lost = p.received === 0 && p.sent > 0;
    cols[COL.lost].push(lost ? 1 : null);
    if (has) maxMs = Math.max(maxMs, p.deciles_ms[8]);
    if (p.median_rtt_ms !== null) maxMs = Math.max(maxMs, p.median_rtt_ms);
    prevClass = p.median_rtt_ms === null ? -1 : k;
    prev = p;
  }
  // Gaps after the last point (up to the view's end) end the lines too.
  while (gi < gapStarts.length) {
    if (!prev || gapStarts[gi] >= prev.t) {
      pushGap(Math.max(gapStarts[gi], prev ? prev.t + 1 : 0));
      break;
    }
    gi++;
  }
  return { data: cols, gapRows, rows, maxMs };
}

/** The ranges of the buttons, ms. */
export const RANGES = [
  { id: "3h", label: "3 hours", ms: 3 * 3600_000 },
  { id: "1d", label: "Day", ms: 86_400_000 },
  { id: "1w", label: "Week", ms: 7 * 86_400_000 },
  { id: "1m", label: "Month", ms: 30 * 86_400_000 },
  { id: "1y", label: "Year", ms: 365 * 86_400_000 },
] as const;
export type RangeId = typeof RANGES[number]["id"];

/** At most this many points in one view: a finer resolution above it is coarsened. */
export const MAX_POINTS = 4000;

/** Fewer than this many points is too coarse a view: the finer resolution is kept. */
export const MIN_POINTS = 100;

/**
 * The finest stored resolution that keeps a span under MAX_POINTS points,
 * unless the next coarser one would leave fewer than MIN_POINTS (3 hours of
 * 1-second steps stay steps, not 3 hourly points).
 */
export function resolutionFor(spanMs: number, step_s: number): Resolution {
  const steps = spanMs / (step_s * 1000);
  const hours = spanMs / 3600_000;
  const days = spanMs / 86_400_000;
  // Never more than the API returns (a day of 1-second steps is hours).
  if (
    steps <= MAX_POINTS || (hours < MIN_POINTS && steps <= MAX_SERIES_POINTS)
  ) return "step";
  if (hours <= MAX_POINTS || days < MIN_POINTS) return "hour";
  return "day";
}

/** The series URL of a view. */
export function seriesUrl(
  id: string,
  from: number,
  to: number,
  resolution: Resolution,
): string {
  const q = new URLSearchParams({
    from: String(Math.round(from)),
    to: String(Math.round(to)),
    resolution,
  });
  return `/api/monitors/${encodeURIComponent(id)}/series?${q}`;
}

/**
 * A live point appended to a view's points: replaces a point at the same t
 * (a step re-sent after a reconnect), drops points older than `from`.
 */
export function appendPoint(
  points: MonitorPoint[],
  p: MonitorPoint,
  from: number,
): MonitorPoint[] {
  const kept = points.filter((q) => q.t >= from && q.t !== p.t);
  let i = kept.length;
  while (i > 0 && kept[i - 1].t > p.t) i--;
  kept.splice(i, 0, p);
  return kept;
}
