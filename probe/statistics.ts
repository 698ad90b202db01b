/**
 * Statistics of one target, computed from its probe outcomes. Pure: no I/O.
 *
 * - pending: outcomes with status "pending"; excluded from every other figure (a probe counts as lost only after its timeout).
 * - sent: resolved (not pending) outcomes.
 * - received: outcomes with status "ok".
 * - lost: sent − received ("lost", "late" and "error" all count as lost).
 * - late: outcomes with status "late" (reply after the timeout).
 * - errors: outcomes with status "error" (ICMP error reply).
 * - duplicates: sum of extra replies over resolved outcomes (a duplicate never counts as received twice).
 * - loss_pct: 100 × lost / sent (0 when sent = 0).
 * - reordered: over "ok" outcomes in arrival order (received_ms, ties by index), those whose index is lower than the highest index that arrived before them.
 * - min_rtt_ms: lowest RTT of the "ok" outcomes (this and every RTT figure below: "ok" outcomes only, null when received = 0).
 * - avg_rtt_ms: arithmetic mean RTT.
 * - max_rtt_ms: highest RTT.
 * - mdev_ms: population standard deviation of the RTTs, as ping: sqrt(mean(rtt²) − mean²).
 * - median_rtt_ms: middle RTT; mean of the two middle values for an even count.
 * - p95_rtt_ms: nearest rank, the RTT at sorted position ceil(0.95 × n) − 1 (0-based).
 * - p99_rtt_ms: nearest rank, the RTT at sorted position ceil(0.99 × n) − 1 (0-based).
 * - jitter_ms: mean |RTT(i) − RTT(i−1)| over successive "ok" outcomes in send order, losses in between skipped (RFC 3393-style IPDV); null when received < 2.
 * - jitter_rfc3550_ms: J = 0, then J += (|D| − J)/16 for each D = RTT(i) − RTT(i−1) over the same pairs (RFC 3550 interarrival jitter); null when received < 2.
 * - loss_bursts: number of maximal runs of consecutive not-"ok" outcomes in send order (pending outcomes neither extend nor break a run).
 * - longest_loss_burst: length of the longest such run (0 if none).
 * - outages: runs of at least outageMinProbes (default 3) outcomes.
 * - outage_ms: sum over outages of (send time of the "ok" probe ending it − send time of its first probe); for an outage still running, (send time of its last probe − send time of its first probe).
 * - mos: simplified E-model: EL = avg_rtt + 2 × jitter + 10; R = 93.2 − EL/40 if EL < 160 else 93.2 − (EL − 120)/10; R −= 2.5 × loss_pct; MOS = 1 if R < 0, else 1 + 0.035R + 7e-6·R(R − 60)(100 − R) clamped to [1, 4.5]; null when sent = 0, 1 when received = 0.
 * - Rounding (output only): *_ms figures and loss_pct to 3 decimals, mos to 2.
 */
import type { ProbeOutcome, TargetStats } from "../model/probe.ts";
import { SendOrderFold } from "./send_order_fold.ts";

export interface StatsOptions {
  /** Minimum length of a loss burst that counts as an outage; default 3. */
  outageMinProbes?: number;
}

const DEFAULT_OUTAGE_MIN_PROBES = 3;

/** Rounds to `factor` (10^decimals) without ever returning -0. */
function roundTo(value: number, factor: number): number {
  const r = Math.round(value * factor) / factor;
  return r === 0 ? 0 : r;
}

function round3(value: number): number {
  return roundTo(value, 1000);
}

function round3OrNull(value: number | null): number | null {
  return value === null ? null : roundTo(value, 1000);
}

/** The outcomes in send order: the input itself when already ordered, else a sorted copy. */
function inSendOrder(
  outcomes: readonly ProbeOutcome[],
): readonly ProbeOutcome[] {
  for (let i = 1; i < outcomes.length; i++) {
    if (outcomes[i].index < outcomes[i - 1].index) {
      return outcomes.slice().sort((a, b) => a.index - b.index);
    }
  }
  return outcomes;
}

/** Arrival time of an "ok" outcome; sent_ms + rtt_ms when received_ms is missing. */
export function arrivalOf(o: ProbeOutcome): number {
  if (o.received_ms !== null) return o.received_ms;
  return o.rtt_ms !== null ? o.sent_ms + o.rtt_ms : Number.NaN;
}

/**
 * Counts "ok" outcomes that arrived after a higher-indexed one. In send order,
 * an outcome is reordered iff some outcome with a strictly higher index arrived
 * strictly earlier (equal arrival times are ordered by index, so never count),
 * so one backward pass with a running minimum of arrival times suffices.
 */
export function countReordered(ordered: readonly ProbeOutcome[]): number {
  let reordered = 0;
  // Earliest arrival among outcomes with an index above the current group.
  let minAfter = Infinity;
  // Earliest arrival within the current group of equal indices.
  let groupMin = Infinity;
  let groupIndex = -1;
  for (let i = ordered.length - 1; i >= 0; i--) {
    const o = ordered[i];
    if (o.status !== "ok") continue;
    const arrival = arrivalOf(o);
    if (Number.isNaN(arrival)) continue;
    if (o.index !== groupIndex) {
      if (groupMin < minAfter) minAfter = groupMin;
      groupMin = Infinity;
      groupIndex = o.index;
    }
    if (minAfter < arrival) reordered++;
    if (arrival < groupMin) groupMin = arrival;
  }
  return reordered;
}

/** Simplified ITU-T G.107 E-model; R below 0 maps to 1 as in G.107. */
function meanOpinionScore(
  avgRtt: number,
  jitter: number,
  lossPct: number,
): number {
  const el = avgRtt + 2 * jitter + 10;
  let r = el < 160 ? 93.2 - el / 40 : 93.2 - (el - 120) / 10;
  r -= 2.5 * lossPct;
  if (r < 0) return 1;
  const mos = 1 + 0.035 * r + 7e-6 * r * (r - 60) * (100 - r);
  return Math.min(4.5, Math.max(1, mos));
}

/** Outage threshold from the options: default 3, at least 1. */
export function outageMinProbesOf(options?: StatsOptions): number {
  const requested = options?.outageMinProbes;
  return requested !== undefined && !Number.isNaN(requested)
    ? Math.max(1, requested)
    : DEFAULT_OUTAGE_MIN_PROBES;
}

/** The order-free counts over all outcomes. */
export interface OutcomeCounts {
  pending: number;
  sent: number;
  received: number;
  late: number;
  errors: number;
  duplicates: number;
}

/** Every statistic of one target from its probe outcomes (any order). */
export function computeStats(
  outcomes: readonly ProbeOutcome[],
  options?: StatsOptions,
): TargetStats {
  const ordered = inSendOrder(outcomes);
  const n = ordered.length;
  const counts: OutcomeCounts = {
    pending: 0,
    sent: 0,
    received: 0,
    late: 0,
    errors: 0,
    duplicates: 0,
  };
  const fold = new SendOrderFold(outageMinProbesOf(options));
  const rtts = new Float64Array(n);
  let rttCount = 0;
  for (let i = 0; i < n; i++) {
    const o = ordered[i];
    const status = o.status;
    if (status === "pending") {
      counts.pending++;
      continue;
    }
    counts.sent++;
    counts.duplicates += o.duplicates;
    if (status === "ok") counts.received++;
    else if (status === "late") counts.late++;
    else if (status === "error") counts.errors++;
    const rtt = fold.add(o);
    if (!Number.isNaN(rtt)) rtts[rttCount++] = rtt;
  }
  return summarize(
    counts,
    fold,
    rtts.subarray(0, rttCount).sort(),
    countReordered(ordered),
  );
}

/**
 * The statistics from the counts, the send-order fold over every resolved
 * outcome, its finite "ok" RTTs in ascending order and the reordered count.
 */
export function summarize(
  counts: OutcomeCounts,
  fold: SendOrderFold,
  sorted: Float64Array,
  reordered: number,
): TargetStats {
  const { sent, received } = counts;
  const lost = sent - received;
  const lossPct = sent === 0 ? 0 : (100 * lost) / sent;
  const rttCount = fold.rttCount;

  let min: number | null = null;
  let avg: number | null = null;
  let max: number | null = null;
  let mdev: number | null = null;
  let median: number | null = null;
  let p95: number | null = null;
  let p99: number | null = null;
  if (rttCount > 0) {
    min = sorted[0];
    max = sorted[rttCount - 1];
    avg = fold.rttSum / rttCount;
    mdev = Math.sqrt(Math.max(0, fold.rttSumSq / rttCount - avg * avg));
    const mid = rttCount >> 1;
    median = rttCount % 2 === 1
      ? sorted[mid]
      : (sorted[mid - 1] + sorted[mid]) / 2;
    // p * n is an exact integer, so the division is exact when divisible.
    p95 = sorted[Math.max(0, Math.ceil((95 * rttCount) / 100) - 1)];
    p99 = sorted[Math.max(0, Math.ceil((99 * rttCount) / 100) - 1)];
  }
  const jitter = fold.pairs > 0 ? fold.absDiffSum / fold.pairs : null;
  const jitterRfc3550 = fold.pairs > 0 ? fold.jitter3550 : null;
  const { outages, outageMs } = fold.outagesAtEnd();

  let mos: number | null = null;
  if (sent > 0) {
    if (received === 0) mos = 1;
    else if (avg !== null) {
      mos = roundTo(meanOpinionScore(avg, jitter ?? 0, lossPct), 100);
    }
  }

  return {
    sent,
    received,
    lost,
    loss_pct: round3(lossPct),
    duplicates: counts.duplicates,
    late: counts.late,
    errors: counts.errors,
    reordered,
    pending: counts.pending,
    min_rtt_ms: round3OrNull(min),
    avg_rtt_ms: round3OrNull(avg),
    max_rtt_ms: round3OrNull(max),
    mdev_ms: round3OrNull(mdev),
    median_rtt_ms: round3OrNull(median),
    p95_rtt_ms: round3OrNull(p95),
    p99_rtt_ms: round3OrNull(p99),
    jitter_ms: round3OrNull(jitter),
    jitter_rfc3550_ms: round3OrNull(jitterRfc3550),
    loss_bursts: fold.lossBursts,
    longest_loss_burst: fold.longestBurst,
    outages,
    outage_ms: round3(outageMs),
    mos,
  };
}
