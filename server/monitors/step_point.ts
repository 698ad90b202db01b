// One step of a monitor (one engine run of `probes` probes) as a stored point:
// the engine's own statistics (probe/statistics.ts definitions: sent,
// received, loss, min/median/avg/max, jitter, late, duplicates), plus the
// exact nearest-rank deciles and the histogram of the answered probes' RTTs.
import type { ProbeOutcome, TargetStats } from "../../model/probe.ts";
import type { MonitorPoint } from "../../model/monitor.ts";
import { DECILES, exactQuantile, Histogram } from "./monitor_histogram.ts";

const r3 = (x: number) => Math.round(x * 1000) / 1000;

export function stepPoint(
  stats: TargetStats,
  outcomes: readonly ProbeOutcome[],
  t: number,
  spanS: number,
): MonitorPoint {
  const rtts: number[] = [];
  for (const o of outcomes) {
    if (o.status === "ok" && o.rtt_ms !== null) rtts.push(o.rtt_ms);
  }
  const hist = new Histogram();
  for (const r of rtts) hist.add(r);
  rtts.sort((a, b) => a - b);
  // TLS probes: the certificate closest to expiry seen in the step.
  let certDays: number | undefined;
  for (const o of outcomes) {
    const d = (o as { tls?: { days_left?: number } }).tls?.days_left;
    if (d !== undefined && (certDays === undefined || d < certDays)) {
      certDays = d;
    }
  }
  return {
    t,
    span_s: spanS,
    sent: stats.sent,
    received: stats.received,
    loss_pct: stats.loss_pct,
    late: stats.late,
    duplicates: stats.duplicates,
    min_rtt_ms: stats.min_rtt_ms,
    median_rtt_ms: stats.median_rtt_ms,
    avg_rtt_ms: stats.avg_rtt_ms,
    max_rtt_ms: stats.max_rtt_ms,
    deciles_ms: rtts.length
      ? DECILES.map((q) => r3(exactQuantile(rtts, q)))
      : [],
    jitter_ms: stats.jitter_ms,
    jitter_pairs: Math.max(0, rtts.length - 1),
    hist: hist.sparse(),
    ...(certDays !== undefined ? { cert_days_left: certDays } : {}),
  };
}

/** A point for a step whose run failed (host unresolvable, engine error): every probe counted lost. */
export function failedPoint(
  probes: number,
  t: number,
  spanS: number,
): MonitorPoint {
  return {
    t,
    span_s: spanS,
    sent: probes,
    received: 0,
    loss_pct: 100,
    late: 0,
    duplicates: 0,
    min_rtt_ms: null,
    median_rtt_ms: null,
    avg_rtt_ms: null,
    max_rtt_ms: null,
    deciles_ms: [],
    jitter_ms: null,
    jitter_pairs: 0,
    hist: [],
  };
}
