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

export interface FoldedSeries {
  /** Bucket width, s. */
  width: number;
  /** Bucket start, s since the epoch, ascending. */
  x: number[];
  min: (number | null)[];
  max: (number | null)[];
  /** Exact median of the bucket's replies when folded; merged buckets keep a count-weighted mean of their medians. */
  median: (number | null)[];
  received: number[];
  lost: number[];
  /** Highest probe number folded (-1: none). */
  lastIndex: number;
}

export const newFolded = (width: number): FoldedSeries => ({
  width,
  x: [],
  min: [],
  max: [],
  median: [],
  received: [],
  lost: [],
  lastIndex: -1,
});

/** Probes of `s` to fold now: how many from its start (0: none yet). */
export function dueToFold(s: ProbeSeries): number {
  const n = s.x.length;
  if (!n) return 0;
  const newest = s.x[n - 1];
  const byCount = n > DETAIL_MAX + SLACK ? n - DETAIL_MAX : 0;
  let byTime = 0;
  if (s.x[0] < newest - DETAIL_S - SLACK_S) {
    const keepFrom = newest - DETAIL_S;
    while (byTime < n && s.x[byTime] < keepFrom) byTime++;
  }
  return Math.max(byCount, byTime);
}

/** Moves the first `k` probes of `s` into `f` (s keeps its lostCount). */
export function foldFirst(s: ProbeSeries, f: FoldedSeries, k: number): void {
  let i = 0;
  while (i < k) {
    const key = Math.floor(s.x[i] / f.width) * f.width;
    const rtts: number[] = [];
    let lost = 0;
    for (; i < k && Math.floor(s.x[i] / f.width) * f.width === key; i++) {
      const r = s.rtt[i];
      if (r === null) lost++;
      else rtts.push(r);
    }
    rtts.sort((a, b) => a - b);
    const mid = rtts.length >> 1;
    const median = rtts.length
      ? rtts.length % 2 ? rtts[mid] : (rtts[mid - 1] + rtts[mid]) / 2
      : null;
    addBucket(f, key, {
      min: rtts.length ? rtts[0] : null,
      max: rtts.length ? rtts[rtts.length - 1] : null,
      median,
      received: rtts.length,
      lost,
    });
  }
  for (let j = 0; j < k; j++) f.lastIndex = Math.max(f.lastIndex, s.index[j]);
  for (const a of [s.index, s.x, s.rtt, s.lost]) a.splice(0, k);
  if (f.x.length > MAX_BUCKETS) coarsen(f);
}

interface Bucket {
  min: number | null;
  max: number | null;
  median: number | null;
  received: number;
  lost: number;
}

const lower = (a: number | null, b: number | null) =>
  a === null ? b : b === null ? a : Math.min(a, b);
const upper = (a: number | null, b: number | null) =>
  a === null ? b : b === null ? a : Math.max(a, b);

function merge(a: Bucket, b: Bucket): Bucket {
  const n = a.received + b.received;
  return {
    min: lower(a.min, b.min),
    max: upper(a.max, b.max),
    median: n
      ? ((a.median ?? 0) * a.received + (b.median ?? 0) * b.received) / n
      : null,
    received: n,
    lost: a.lost + b.lost,
  };
}

const bucketAt = (f: FoldedSeries, i: number): Bucket => ({
  min: f.min[i],
  max: f.max[i],
  median: f.median[i],
  received: f.received[i],
  lost: f.lost[i],
});

function setBucket(f: FoldedSeries, i: number, key: number, b: Bucket): void {
  f.x[i] = key;
  f.min[i] = b.min;
  f.max[i] = b.max;
  f.median[i] = b.median;
  f.received[i] = b.received;
  f.lost[i] = b.lost;
}

/** Adds (or merges into the last bucket when it has the same start). */
function addBucket(f: FoldedSeries, key: number, b: Bucket): void {
  const last = f.x.length - 1;
  if (last >= 0 && f.x[last] === key) {
    setBucket(f, last, key, merge(bucketAt(f, last), b));
  } else setBucket(f, last + 1, key, b);
}

/** Doubles the bucket width, merging neighbours that now share a bucket. */
export function coarsen(f: FoldedSeries): void {
  const old = { ...f, x: [...f.x] };
  const buckets = f.x.map((_, i) => bucketAt(old as FoldedSeries, i));
  f.width *= 2;
  for (const a of [f.x, f.min, f.max, f.median, f.received, f.lost]) {
    a.length = 0;
  }
  buckets.forEach((b, i) =>
    addBucket(f, Math.floor(old.x[i] / f.width) * f.width, b)
  );
}

/** The RTT chart's data: folded buckets (at their middle), then every probe. */
export function liveBandData(f: FoldedSeries, s: ProbeSeries): BandData {
  const half = f.width / 2;
  return [
    [...f.x.map((x) => x + half), ...s.x],
    [...f.min, ...s.rtt],
    [...f.max, ...s.rtt],
    [...f.median, ...s.rtt],
    [...f.lost.map((l) => l > 0 ? 1 : null), ...s.lost],
  ];
}
