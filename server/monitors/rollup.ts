// Hour and day points from finer ones. Exact: sent, received, late,
// duplicates (sums), loss_pct (from the sums), min and max; avg is the mean
// of the steps' averages weighted by their received counts (the exact mean
// of every RTT, up to the steps' 3-decimal rounding). The median and deciles
// come from the merged histogram (within 2.47 %, monitor_histogram.ts).
// Jitter is the steps' jitters weighted by their pairs of successive answers
// (jitter_pairs): the mean over every pair inside a step; pairs across a
// step boundary are not counted.
import type { MonitorPoint } from "../../model/monitor.ts";
import { DECILES, Histogram } from "./monitor_histogram.ts";

const r3 = (x: number) => Math.round(x * 1000) / 1000;

export function rollup(
  points: readonly MonitorPoint[],
  t: number,
  spanS: number,
): MonitorPoint {
  let sent = 0, received = 0, late = 0, duplicates = 0;
  let min: number | null = null, max: number | null = null;
  let avgSum = 0, avgN = 0, jitSum = 0, pairs = 0;
  const hist = new Histogram();
  for (const p of points) {
    sent += p.sent;
    received += p.received;
    late += p.late;
    duplicates += p.duplicates;
    if (p.min_rtt_ms !== null && (min === null || p.min_rtt_ms < min)) {
      min = p.min_rtt_ms;
    }
    if (p.max_rtt_ms !== null && (max === null || p.max_rtt_ms > max)) {
      max = p.max_rtt_ms;
    }
    if (p.avg_rtt_ms !== null && p.received > 0) {
      avgSum += p.avg_rtt_ms * p.received;
      avgN += p.received;
    }
    const pp = p.jitter_pairs ?? Math.max(0, p.received - 1);
    if (p.jitter_ms !== null && pp > 0) {
      jitSum += p.jitter_ms * pp;
      pairs += pp;
    }
    hist.merge(p.hist);
  }
  const q = (x: number) => {
    const v = hist.quantile(x);
    return v === null ? null : r3(v);
  };
  return {
    t,
    span_s: spanS,
    sent,
    received,
    loss_pct: sent === 0 ? 0 : r3(100 * (sent - received) / sent),
    late,
    duplicates,
    min_rtt_ms: min,
    median_rtt_ms: q(0.5),
    avg_rtt_ms: avgN ? r3(avgSum / avgN) : null,
    max_rtt_ms: max,
    deciles_ms: hist.total ? DECILES.map((d) => q(d)!) : [],
    jitter_ms: pairs ? r3(jitSum / pairs) : null,
    jitter_pairs: pairs,
    hist: hist.sparse(),
  };
}
