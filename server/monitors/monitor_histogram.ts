// RTT distribution of a monitor point: log-spaced buckets, mergeable by adding
// counts, so an hour or a day rolled up from steps keeps its deciles.
//
// Bucket i >= 1 holds RTTs in [R^(i-1), R^i) µs with R = 1.05 (bucket 0:
// below 1 µs). A quantile answers the bucket's geometric middle
// R^(i-0.5) µs, so its relative error against the exact sample quantile (the
// same rank) is at most sqrt(1.05) - 1 = 2.47 %. 1 µs to 60 s is 368 buckets;
// a step of 20 probes on one path usually fills 2-6 of them.

export const RATIO = 1.05;
const LOG_R = Math.log(RATIO);
/** Worst relative error of a histogram quantile against the exact one. */
export const MAX_RELATIVE_ERROR = Math.sqrt(RATIO) - 1;

/** Sparse form: [bucket index, count] pairs, index ascending, counts > 0. */
export type SparseHist = [number, number][];

/** The bucket of an RTT in ms. */
export function bucketOf(rttMs: number): number {
  const us = rttMs * 1000;
  if (!(us >= 1)) return 0;
  return Math.floor(Math.log(us) / LOG_R) + 1;
}

/** The value a bucket stands for, ms (its geometric middle). */
export function bucketValue(index: number): number {
  if (index <= 0) return 0.0005;
  return Math.pow(RATIO, index - 0.5) / 1000;
}

export class Histogram {
  readonly counts = new Map<number, number>();
  total = 0;

  static from(sparse: SparseHist): Histogram {
    const h = new Histogram();
    h.merge(sparse);
    return h;
  }

  add(rttMs: number, n = 1): void {
    const b = bucketOf(rttMs);
    this.counts.set(b, (this.counts.get(b) ?? 0) + n);
    this.total += n;
  }

  merge(sparse: SparseHist | Histogram): void {
    const pairs = sparse instanceof Histogram ? sparse.sparse() : sparse;
    for (const [i, n] of pairs) {
      this.counts.set(i, (this.counts.get(i) ?? 0) + n);
      this.total += n;
    }
  }

  /** Nearest-rank quantile (rank ceil(q·n), at least 1), ms; null when empty. */
  quantile(q: number): number | null {
    if (this.total === 0) return null;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (const [i, n] of this.sparse()) {
      seen += n;
      if (seen >= rank) return bucketValue(i);
    }
    return null;
  }

  sparse(): SparseHist {
    return [...this.counts.entries()].sort((a, b) => a[0] - b[0]);
  }
}

/** Nearest-rank quantile of sorted values (the exact counterpart of Histogram.quantile). */
export function exactQuantile(sorted: readonly number[], q: number): number {
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1];
}

export const DECILES = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];
