// Bounds a live test's chart in the browser: the newest probes stay at full
// detail (the last DETAIL_S seconds, at most DETAIL_MAX probes); older ones
// are folded into time buckets with min, max, median RTT and a count of lost
// probes (the form the server's series has), and when there are more than
// MAX_BUCKETS the bucket width doubles and neighbours merge. So an 8-hour
// test at 10 probes/s holds ~1,500 buckets and ≤ 6,000 probes, not 288,000.
import type { BandData } from "./band_options.ts";
import type { ProbeSeries } from "./probe_series.ts";

export const DETAIL_S = 600;
export const DETAIL_MAX = 20_000;
export const MAX_BUCKETS = 1500;
/** Folding waits for this many probes (or 60 s) past the bound, then folds them at once. */
const SLACK = 2000;
const SLACK_S = 60;

/** A folded bucket: start (s since the epoch), RTT min/max/median of its replies, counts. */
export interface Bucket {
  x: number;
  min: number | null;
  max: number | null;
  /** Exact median when folded; merged buckets keep a count-weighted mean of their medians. */
  med: number | null;
  /** Replies. */
  n: number;
  lost: number;
}

export interface FoldedSeries {
  /** Bucket width, s. */
  width: number;
  /** Ascending by start. */
  b: Bucket[];
  /** Highest probe number folded (-1: none). */
  lastIndex: number;
}

export const newFolded = (width: number): FoldedSeries => ({
  width,
  b: [],
  lastIndex: -1,
});

/** Probes of `s` to fold now: how many from its start (0: none yet). */
export function dueToFold(s: ProbeSeries): number {
  const n = s.x.length;
  const keepFrom = s.x[n - 1] - DETAIL_S;
  let k = n > DETAIL_MAX + SLACK ? n - DETAIL_MAX : 0;
  if (s.x[0] < keepFrom - SLACK_S) { while (s.x[k] < keepFrom) k++; }
  return k;
}

const pick = (
  a: number | null,
  b: number | null,
  f: (a: number, b: number) => number,
) => a === null ? b : b === null ? a : f(a, b);

/** Appends `a`, or merges it into the last bucket when that starts where it does. */
function add(f: FoldedSeries, a: Bucket): void {
  const l = f.b[f.b.length - 1];
  if (l?.x !== a.x) return void f.b.push(a);
  const n = l.n + a.n;
  l.med = n ? ((l.med ?? 0) * l.n + (a.med ?? 0) * a.n) / n : null;
  l.min = pick(l.min, a.min, Math.min);
  l.max = pick(l.max, a.max, Math.max);
  l.n = n;
  l.lost += a.lost;
}

/** Moves the first `k` probes of `s` into `f` (s keeps its lostCount). */
export function foldFirst(s: ProbeSeries, f: FoldedSeries, k: number): void {
  const key = (i: number) => Math.floor(s.x[i] / f.width) * f.width;
  for (let i = 0; i < k;) {
    const x = key(i);
    const r: number[] = [];
    let lost = 0;
    for (; i < k && key(i) === x; i++) {
      f.lastIndex = Math.max(f.lastIndex, s.index[i]);
      if (s.rtt[i] === null) lost++;
      else r.push(s.rtt[i]!);
    }
    r.sort((a, b) => a - b);
    const n = r.length, m = n >> 1;
    add(f, {
      x,
      min: n ? r[0] : null,
      max: n ? r[n - 1] : null,
      med: n ? (r[m] + r[(n - 1) >> 1]) / 2 : null,
      n,
      lost,
    });
  }
  for (const a of [s.index, s.x, s.rtt, s.lost]) a.splice(0, k);
  if (f.b.length > MAX_BUCKETS) coarsen(f);
}

/** Doubles the bucket width, merging neighbours that now share a bucket. */
export function coarsen(f: FoldedSeries): void {
  const old = f.b;
  f.b = [];
  f.width *= 2;
  for (const a of old) add(f, { ...a, x: Math.floor(a.x / f.width) * f.width });
}

/** The RTT chart's data: folded buckets (at their middle), then every probe. */
export function liveBandData(f: FoldedSeries, s: ProbeSeries): BandData {
  const h = f.width / 2;
  return [
    [...f.b.map((a) => a.x + h), ...s.x],
    [...f.b.map((a) => a.min), ...s.rtt],
    [...f.b.map((a) => a.max), ...s.rtt],
    [...f.b.map((a) => a.med), ...s.rtt],
    [...f.b.map((a) => a.lost ? 1 : null), ...s.lost],
  ];
}
