/**
 * The statistics that depend on send order (RTT sums, jitter, loss bursts,
 * outages), folded one resolved outcome at a time. Shared by computeStats
 * (one pass) and StatsAccumulator (a settled prefix carried forward plus the
 * unsettled tail), so both perform the same floating-point operations in the
 * same order and agree bit for bit.
 */
import type { ProbeOutcome } from "../model/probe.ts";

export class SendOrderFold {
  rttCount = 0;
  rttSum = 0;
  rttSumSq = 0;
  prevRtt = Number.NaN;
  pairs = 0;
  absDiffSum = 0;
  jitter3550 = 0;
  lossBursts = 0;
  longestBurst = 0;
  runLength = 0;
  runFirstSent = 0;
  runLastSent = 0;
  outages = 0;
  outageMs = 0;

  constructor(readonly outageMinProbes: number) {}

  /** A copy to continue folding without touching this one. */
  copy(): SendOrderFold {
    return Object.assign(new SendOrderFold(this.outageMinProbes), this);
  }

  /**
   * Folds in the next resolved (not pending) outcome in send order. Returns
   * its RTT when it is an "ok" with a finite RTT, else NaN.
   */
  add(o: ProbeOutcome): number {
    if (o.status !== "ok") {
      if (this.runLength === 0) {
        this.lossBursts++;
        this.runFirstSent = o.sent_ms;
      }
      this.runLength++;
      this.runLastSent = o.sent_ms;
      if (this.runLength > this.longestBurst) {
        this.longestBurst = this.runLength;
      }
      return Number.NaN;
    }
    if (this.runLength > 0) {
      if (this.runLength >= this.outageMinProbes) {
        this.outages++;
        this.outageMs += o.sent_ms - this.runFirstSent;
      }
      this.runLength = 0;
    }
    const rtt = o.rtt_ms;
    if (rtt === null || !Number.isFinite(rtt)) return Number.NaN;
    this.rttCount++;
    this.rttSum += rtt;
    this.rttSumSq += rtt * rtt;
    if (!Number.isNaN(this.prevRtt)) {
      const d = Math.abs(rtt - this.prevRtt);
      this.absDiffSum += d;
      this.jitter3550 += (d - this.jitter3550) / 16;
      this.pairs++;
    }
    this.prevRtt = rtt;
    return rtt;
  }

  /** Outages so far, counting a run still open at the end as one. */
  outagesAtEnd(): { outages: number; outageMs: number } {
    if (this.runLength >= this.outageMinProbes) {
      return {
        outages: this.outages + 1,
        outageMs: this.outageMs + (this.runLastSent - this.runFirstSent),
      };
    }
    return { outages: this.outages, outageMs: this.outageMs };
  }
}
