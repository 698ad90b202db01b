// Where on a path loss starts, read the way an engineer reads mtr: loss at a
// hop only matters if it persists to the destination. A router that forwards
// every packet but rate-limits its own "time exceeded" messages shows loss at
// its hop and none after it; that is the router not answering, not loss on
// the path.
//
// The loss to explain is the destination's (the last hop's). A hop "carries"
// it when its own loss is not significantly below it: an exact binomial test,
// P(X <= lost | sent, destination loss ratio) >= ALPHA. The origin is the
// first hop from which every hop up to the destination carries it. A hop
// whose loss is significantly lower than the destination's proves the loss
// happens after it, whatever the hops before it show.

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

/** Significance of "this hop loses less than the destination". */
export const ALPHA = 0.01;

/** P(X <= k) for X ~ Binomial(n, p), exactly (log space, no overflow). */
export function binomialCdf(k: number, n: number, p: number): number {
  if (k >= n || p <= 0) return 1;
  if (k < 0) return 0;
  if (p >= 1) return 0;
  const lp = Math.log(p), lq = Math.log1p(-p);
  // log C(n, i) built up term by term: C(n, i) = C(n, i-1) * (n-i+1) / i.
  let logC = 0;
  let sum = 0;
  for (let i = 0; i <= k; i++) {
    if (i > 0) logC += Math.log(n - i + 1) - Math.log(i);
    sum += Math.exp(logC + i * lp + (n - i) * lq);
  }
  return Math.min(1, sum);
}

/** Whether `h` keeps (at least) the destination's loss ratio `ratio`. */
function carries(h: HopCounts, ratio: number): boolean {
  if (h.sent === 0) return true; // no evidence either way
  const lost = h.sent - h.received;
  if (lost / h.sent >= ratio) return true;
  return binomialCdf(lost, h.sent, ratio) >= ALPHA;
}

/** The verdict for hops in order, the destination last. */
export function lossVerdict(hops: readonly HopCounts[]): LossVerdict {
  const forwarded = hops.map(() => false);
  const dest = hops.at(-1);
  if (!dest || dest.sent === 0 || dest.received === dest.sent) {
    return { lossOrigin: null, forwarded };
  }
  const ratio = (dest.sent - dest.received) / dest.sent;
  let origin = hops.length - 1;
  while (origin > 0 && carries(hops[origin - 1], ratio)) origin--;
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
