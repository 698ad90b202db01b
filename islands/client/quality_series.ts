// Loss and jitter of one target per time bucket, by send time, so the quality
// chart lines up with the RTT chart. Only buckets that gained a probe since
// the last update are recomputed (a loss is known only at its timeout).
import type { ProbeSeries } from "./probe_series.ts";

export interface QualitySeries {
  /** Bucket numbers (start / width), ascending. */
  keys: number[];
  /** Mean send time of the bucket's probes, seconds since the epoch. */
  x: number[];
  /** Lost share of the probes sent in the bucket, %. */
  loss: (number | null)[];
  /** Mean |RTT(i) − RTT(i−1)| over successive replies in the bucket, ms. */
  jitter: (number | null)[];
  /** Buckets (start / width) that gained a probe since the last update. */
  dirty: Set<number>;
}

export const newQualitySeries = (): QualitySeries => ({
  keys: [],
  x: [],
  loss: [],
  jitter: [],
  dirty: new Set(),
});

/** Bucket width for a probe interval: 5 intervals, at least 1 s. */
export const bucketSeconds = (intervalMs: number) =>
  Math.max(1, Math.ceil((5 * intervalMs) / 1000));

/** First position in ascending `a` whose value is >= v. */
function lowerBound(a: number[], v: number): number {
  let lo = 0, hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function updateQuality(
  q: QualitySeries,
  s: ProbeSeries,
  width: number,
): void {
  for (const b of q.dirty) {
    const lo = lowerBound(s.x, b * width);
    const hi = lowerBound(s.x, (b + 1) * width);
    if (hi === lo) continue;
    let lost = 0, sum = 0, pairs = 0, sent = 0;
    let prev: number | null = null;
    for (let i = lo; i < hi; i++) {
      const rtt = s.rtt[i];
      sent += s.x[i];
      if (s.lost[i] !== null) lost++;
      if (rtt === null) continue;
      if (prev !== null) {
        sum += Math.abs(rtt - prev);
        pairs++;
      }
      prev = rtt;
    }
    const at = lowerBound(q.keys, b);
    if (q.keys[at] !== b) {
      q.keys.splice(at, 0, b);
      q.x.splice(at, 0, 0);
      q.loss.splice(at, 0, null);
      q.jitter.splice(at, 0, null);
    }
    q.x[at] = sent / (hi - lo);
    q.loss[at] = (lost / (hi - lo)) * 100;
    q.jitter[at] = pairs ? sum / pairs : null;
  }
  q.dirty.clear();
}
