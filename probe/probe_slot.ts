// What the engine knows about one probe; doubles as the statistics' input.
import type {
  IcmpErrorInfo,
  ProbeOutcome,
  ProbeRecord,
} from "../model/probe.ts";
import type { ResolvedTarget } from "./target.ts";

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/**
 * A probe is declared lost this long after its timeout, once replies are
 * drained. The kernel stamps a reply before it is queued on the socket, and
 * on a busy machine the softirq that queues it can run a millisecond or more
 * later: a reply stamped inside the timeout (3.9 ms of 4) must still find its
 * probe pending, not lost, so that `late` means its RTT exceeded the timeout.
 */
export const SWEEP_SLACK_MS = 10;

export class ProbeSlot implements ProbeOutcome {
  status: ProbeOutcome["status"] = "pending";
  rtt_ms: number | null = null;
  sent_ms = 0;
  received_ms: number | null = null;
  duplicates = 0;
  ttl: number | null = null;
  /** Send time, ns since the socket's base (exact integer). */
  txNs = 0;
  /** performance.now() at send, for timeouts. */
  sentMonotonic = 0;
  kernelTs = false;
  icmp?: IcmpErrorInfo;
  localError?: string;
  /** Path mode: the router whose "time exceeded" (or unreachable) answered the probe. */
  from?: string;

  constructor(readonly index: number, readonly seq: number) {}

  /** The record reported for this probe; `status` and `rttMs` describe the reply being reported. */
  record(
    t: ResolvedTarget,
    status: ProbeRecord["status"],
    rttMs: number | null,
  ): ProbeRecord {
    const rec: ProbeRecord = {
      target: t.target,
      address: t.address,
      index: this.index,
      seq: this.seq,
      sent_at: round3(this.sent_ms),
      rtt_ms: rttMs,
      status,
      ttl: status === "lost" || status === "error" ? null : this.ttl,
      ts_source: this.kernelTs ? "kernel" : "user",
    };
    if (this.icmp) rec.icmp = this.icmp;
    if (this.localError) rec.error = this.localError;
    if (t.hop !== undefined) rec.hop = t.hop;
    if (this.from !== undefined && status !== "lost") rec.from = this.from;
    return rec;
  }
}
