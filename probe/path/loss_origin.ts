// Where on a path loss starts, read the way an engineer reads mtr: loss at a
// hop only matters if it persists to the destination. A router that forwards
// every packet but rate-limits its own "time exceeded" messages shows loss at
// its hop and none after it; that is the router not answering, not loss on
// the path.
//
// The loss to explain is the destination's (the last hop's). A hop "carries"
// it unless its own loss is significantly below the destination's: a
// one-sided Fisher exact test on the two hops' lost/answered counts (both are
// samples, so neither is taken as exact), p < ALPHA, or a hop that lost
// nothing where it should have lost CLEAN_HOP_EXPECTED. The origin is the first
// hop from which every hop up to the destination carries it: a hop that
// loses significantly less than the destination proves the loss happens
// after it, whatever the hops before it show.

/** One hop's counts, in hop order; the last entry is the destination (or the first silent hop). */
export interface HopCounts {
  hop: number;
  sent: number;
  received: number;
}

export interface LossVerdict {
  /** The first hop from which loss persists to the destination; null when the destination has no loss. */
  lossOrigin: number | null;
  /** Per input hop: its loss is forwarded loss (it is at or after the origin and lost something). */
  forwarded: boolean[];
}

/**
 * Significance of "this hop loses less than the destination". Small, because
 * a path test makes this comparison for every hop at every report: 0.1 %
 * still tells 0 of 40 lost from 10 of 40.
 */
export const ALPHA = 0.001;
/** Above this many probes per hop the test uses the normal approximation. */
const EXACT_LIMIT = 2000;

/**
 * P(X <= a) for X the losses of the first of two samples when the a + b
 * losses of both (n1 and n2 probes) fall at random: hypergeometric, one-sided
 * Fisher exact test; for large samples the two-proportion z-test.
 */
export function fewerLossesP(
  a: number,
  n1: number,
  b: number,
  n2: number,
): number {
  const k = a + b;
  if (k === 0 || a >= Math.min(k, n1)) return 1;
  if (n1 > EXACT_LIMIT || n2 > EXACT_LIMIT) {
    const p = k / (n1 + n2);
    const se = Math.sqrt(p * (1 - p) * (1 / n1 + 1 / n2));
    return se === 0 ? 1 : normalCdf((a / n1 - b / n2) / se);
  }
  // pmf(x) ∝ C(n1, x) C(n2, k - x); ratios from the lowest x up, in log space.
  const lo = Math.max(0, k - n2), hi = Math.min(k, n1);
  const logs: number[] = [];
  let l = 0;
  for (let x = lo; x <= hi; x++) {
    logs.push(l);
    l += Math.log((n1 - x) * (k - x)) - Math.log((x + 1) * (n2 - k + x + 1));
  }
  const top = Math.max(...logs);
  let below = 0, all = 0;
  logs.forEach((v, i) => {
    const w = Math.exp(v - top);
    all += w;
    if (lo + i <= a) below += w;
  });
  return Math.min(1, below / all);
}

/** Standard normal CDF (Abramowitz-Stegun 7.1.26 erf, |error| < 1.5e-7). */
function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf = 1 - t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 +
                t * (-1.453152027 + t * 1.061405429)))) *
      Math.exp(-x * x);
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

/**
 * A hop that lost nothing where the destination's loss would have cost it at
 * least this many probes does not carry that loss (mtr's clean hop between a
 * rate-limited router and the lossy stretch), even when the test above is
 * not yet sure: by chance that happens below 1 % of the time (e^-5).
 */
export const CLEAN_HOP_EXPECTED = 5;

/** Whether `h` keeps (at least) the destination's loss, as far as the counts tell. */
function carries(h: HopCounts, dest: HopCounts): boolean {
  if (h.sent === 0) return true; // no evidence either way
  const lost = h.sent - h.received, destLost = dest.sent - dest.received;
  if (lost * dest.sent >= destLost * h.sent) return true;
  if (lost === 0 && h.sent * destLost / dest.sent >= CLEAN_HOP_EXPECTED) {
    return false;
  }
  return fewerLossesP(lost, h.sent, destLost, dest.sent) >= ALPHA;
}

/** The verdict for hops in order, the destination last. */
export function lossVerdict(hops: readonly HopCounts[]): LossVerdict {
  const forwarded = hops.map(() => false);
  const dest = hops.at(-1);
  if (!dest || dest.sent === 0 || dest.received === dest.sent) {
    return { lossOrigin: null, forwarded };
  }
  let origin = hops.length - 1;
  while (origin > 0 && carries(hops[origin - 1], dest)) origin--;
  // The origin is where loss is first seen: a hop that lost nothing merely
  // "could" carry a small loss, and a hop that never answered (filtered)
  // gives no evidence; the origin is the first hop after them that does.
  while (
    origin < hops.length - 1 &&
    (hops[origin].received === hops[origin].sent ||
      hops[origin].received === 0)
  ) origin++;
  for (let i = origin; i < hops.length; i++) {
    forwarded[i] = hops[i].received < hops[i].sent;
  }
  return { lossOrigin: hops[origin].hop, forwarded };
}
