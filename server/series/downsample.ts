// The heart of the big-test view: a target's probes over [from, to] folded
// into `points` buckets of equal time in one pass, each with min, max and the
// exact median RTT and its lost probes counted, so no spike and no single
// lost probe disappears at any bucket size. A range with no more probes than
// `points` is served raw: every probe its own bucket.
import type { TargetSeries } from "../../model/series.ts";
import {
  lowerBound,
  OK,
  STATUS_NAMES,
  type TargetProbes,
} from "./probe_index.ts";

/** Positions [lo, hi) of the probes sent in [from, to] (both inclusive). */
export function rangeOf(
  p: TargetProbes,
  from: number,
  to: number,
): [number, number] {
  return [lowerBound(p.t, from), lowerBound(p.t, nextUp(to))];
}

// The smallest double above `to`: lowerBound(t, nextUp(to)) counts t == to.
const nextUp = (x: number) => x + Math.max(Number.EPSILON * Math.abs(x), 1e-9);

// Rounded to the microsecond: shorter JSON, no precision the probes have not.
const us = (x: number) => Math.round(x * 1000) / 1000;

function emptySeries(target: string): TargetSeries {
  return {
    target,
    t: [],
    count: [],
    received: [],
    lost: [],
    min: [],
    max: [],
    median: [],
    loss_pct: [],
    jitter: [],
  };
}

/** Every probe of [lo, hi) as a bucket of one. */
export function rawSeries(
  p: TargetProbes,
  lo: number,
  hi: number,
): TargetSeries {
  const s = { ...emptySeries(p.target), index: [], status: [] } as
    & TargetSeries
    & Required<Pick<TargetSeries, "index" | "status">>;
  let prev = NaN;
  for (let i = lo; i < hi; i++) {
    const ok = p.status[i] === OK;
    const rtt = ok ? us(p.rtt[i]) : null;
    s.t.push(us(p.t[i]));
    s.count.push(1);
    s.received.push(ok ? 1 : 0);
    s.lost.push(ok ? 0 : 1);
    s.min.push(rtt);
    s.max.push(rtt);
    s.median.push(rtt);
    s.loss_pct.push(ok ? 0 : 100);
    s.jitter.push(
      ok && !Number.isNaN(prev) ? us(Math.abs(p.rtt[i] - prev)) : null,
    );
    if (ok) prev = p.rtt[i];
    s.index.push(p.index[i]);
    s.status.push(STATUS_NAMES[p.status[i]] as "ok");
  }
  return s;
}

/**
 * Probes of [lo, hi) in `points` buckets of (to - from) / points ms from
 * `from`; empty buckets are left out. `scratch` holds one bucket's RTTs
 * (for the median) and must be at least hi - lo long.
 */
export function bucketSeries(
  p: TargetProbes,
  lo: number,
  hi: number,
  from: number,
  to: number,
  points: number,
  scratch = new Float64Array(hi - lo),
): TargetSeries {
  const s = emptySeries(p.target);
  const width = (to - from) / points;
  const bucketOf = (t: number) =>
    width > 0 ? Math.min(points - 1, Math.floor((t - from) / width)) : 0;
  let i = lo;
  while (i < hi) {
    const k = bucketOf(p.t[i]);
    let count = 0, lost = 0, n = 0, jitterSum = 0, pairs = 0;
    let min = Infinity, max = -Infinity, prev = NaN;
    for (; i < hi && bucketOf(p.t[i]) === k; i++) {
      count++;
      if (p.status[i] !== OK) {
        lost++;
        continue;
      }
      const rtt = p.rtt[i];
      scratch[n++] = rtt;
      if (rtt < min) min = rtt;
      if (rtt > max) max = rtt;
      if (!Number.isNaN(prev)) {
        jitterSum += Math.abs(rtt - prev);
        pairs++;
      }
      prev = rtt;
    }
    s.t.push(us(from + k * width));
    s.count.push(count);
    s.received.push(n);
    s.lost.push(lost);
    s.min.push(n ? us(min) : null);
    s.max.push(n ? us(max) : null);
    s.median.push(n ? us(median(scratch.subarray(0, n))) : null);
    s.loss_pct.push((lost / count) * 100);
    s.jitter.push(pairs ? us(jitterSum / pairs) : null);
  }
  return s;
}

/** The exact median of `a` (sorted in place). */
export function median(a: Float64Array): number {
  a.sort();
  const mid = a.length >> 1;
  return a.length % 2 ? a[mid] : (a[mid - 1] + a[mid]) / 2;
}

/** Percentiles 0..steps of ascending `sorted` by nearest rank. */
export function cdfOf(sorted: Float64Array, steps: number): {
  p: number[];
  rtt_ms: number[];
} {
  const p: number[] = [];
  const rtt_ms: number[] = [];
  if (!sorted.length) return { p, rtt_ms };
  for (let k = 0; k <= steps; k++) {
    const pct = (k / steps) * 100;
    const rank = Math.max(1, Math.ceil((pct / 100) * sorted.length));
    p.push(pct);
    rtt_ms.push(us(sorted[rank - 1]));
  }
  return { p, rtt_ms };
}
