// What the server knows of one device test's packets: which probes arrived
// (its own count), what the client says came back (its results, checked
// against that count), and from both the upload, download and round-trip
// figures. Pure logic, no I/O: device_run.ts feeds it.
import type { ProbeOutcome } from "../../model/probe.ts";
import type {
  DeviceEventData,
  DeviceSettings,
  DeviceSummary,
} from "../../model/device.ts";
import type { ProbeRecord } from "../../model/probe.ts";
import { StatsAccumulator } from "../../probe/stats_accumulator.ts";
import { DEVICE_PRESETS } from "../../model/device_presets.ts";

const UNSETTLED = 0;
const OK = 1;
const LATE = 2;
const LOST_UP = 3;
const LOST_DOWN = 4;

/** RFC 3550 interarrival jitter, J += (|D| − J) / 16, over one-way transits. */
export class Rfc3550Jitter {
  #last = NaN;
  #j = 0;
  #n = 0;
  add(transitMs: number): void {
    if (this.#n++ > 0) {
      this.#j += (Math.abs(transitMs - this.#last) - this.#j) / 16;
    }
    this.#last = transitMs;
  }
  /** Null until two transits were seen. */
  get value(): number | null {
    return this.#n < 2 ? null : this.#j;
  }
}

const r3 = (v: number | null) =>
  v === null ? null : Math.round(v * 1000) / 1000;
const pct = (lost: number, of: number) =>
  of === 0 ? 0 : Math.round(100_000 * lost / of) / 1000;

export type ProbeVerdict = "ok" | "drop";

export class DeviceLedger {
  readonly settings: DeviceSettings;
  /** Probes the client may send: rate × duration; later seqs are dropped. */
  readonly quota: number;
  readonly #serverMs: Float64Array;
  readonly #clientMs: Float64Array;
  readonly #state: Uint8Array;
  readonly #outcomes: ProbeOutcome[] = [];
  readonly #stats: StatsAccumulator;
  readonly #up = new Rfc3550Jitter();
  readonly #down = new Rfc3550Jitter();
  #arrived = 0;
  #settled = 0;
  #settledArrived = 0;
  #echoBack = 0;
  #late = 0;
  /** Messages dropped unanswered: malformed, oversized, duplicate, over quota or rate. */
  dropped = 0;
  #baseMs = NaN;
  #lostUp: number[] = [];
  #lostDown: number[] = [];
  #clientSent: number | null = null;

  constructor(settings: DeviceSettings) {
    this.settings = settings;
    this.quota = Math.ceil(settings.rate * settings.duration_s);
    this.#serverMs = new Float64Array(this.quota).fill(NaN);
    this.#clientMs = new Float64Array(this.quota).fill(NaN);
    this.#state = new Uint8Array(this.quota);
    this.#stats = new StatsAccumulator(this.#outcomes);
  }

  /** Probes received by the server so far (the echo's counter). */
  get arrived(): number {
    return this.#arrived;
  }

  /** True once every probe the client sent is settled (after its `done`). */
  get complete(): boolean {
    return this.#clientSent !== null && this.#settled >= this.#clientSent;
  }

  /** A counted probe arrived at `nowMs` (server clock): "ok" to echo it, else dropped. */
  arrive(seq: number, clientSentMs: number, nowMs: number): ProbeVerdict {
    if (seq >= this.quota || !Number.isNaN(this.#serverMs[seq])) {
      this.dropped++;
      return "drop";
    }
    this.#serverMs[seq] = nowMs;
    this.#clientMs[seq] = clientSentMs;
    if (Number.isNaN(this.#baseMs)) {
      this.#baseMs = clientSentMs - seq * 1000 / this.settings.rate;
    }
    this.#arrived++;
    this.#up.add(nowMs - clientSentMs);
    return "ok";
  }

  /**
   * The client's settled packets, [seq, rtt µs or −1]. The whole message is
   * refused (false; nothing changes) when one entry contradicts what the server
   * knows: a seq out of range or already settled, or an echo the server never sent.
   */
  results(
    packets: readonly [number, number][],
    emit?: (r: ProbeRecord) => void,
    address = "",
  ): boolean {
    const seen = new Set<number>();
    for (const [seq, rtt] of packets) {
      if (
        seq >= this.quota || this.#state[seq] !== UNSETTLED || seen.has(seq)
      ) return false;
      if (rtt >= 0 && Number.isNaN(this.#serverMs[seq])) return false;
      seen.add(seq);
    }
    for (const [seq, rtt] of packets) this.#settle(seq, rtt, emit, address);
    return true;
  }

  /** The client sent `sent` probes and settled them all; false (ignored) when impossible. */
  done(sent: number, emit?: (r: ProbeRecord) => void, address = ""): boolean {
    if (sent > this.quota || sent < this.#settledMaxSeq() + 1) return false;
    for (let seq = 0; seq < this.quota; seq++) {
      if (seq >= sent && !Number.isNaN(this.#serverMs[seq])) return false;
    }
    this.#clientSent = sent;
    // Whatever it did not report counts as lost, by what the server saw.
    for (let seq = 0; seq < sent; seq++) {
      if (this.#state[seq] === UNSETTLED) this.#settle(seq, -1, emit, address);
    }
    return true;
  }

  #maxSettled = -1;
  #settledMaxSeq(): number {
    return this.#maxSettled;
  }

  #settle(
    seq: number,
    rttUs: number,
    emit: ((r: ProbeRecord) => void) | undefined,
    address: string,
  ): void {
    const arrived = !Number.isNaN(this.#serverMs[seq]);
    const rtt = rttUs >= 0 ? rttUs / 1000 : null;
    const state = rtt === null
      ? (arrived ? LOST_DOWN : LOST_UP)
      : rtt <= this.settings.delay_ms
      ? OK
      : LATE;
    this.#state[seq] = state;
    this.#settled++;
    if (arrived) this.#settledArrived++;
    if (seq > this.#maxSettled) this.#maxSettled = seq;
    if (rtt !== null) {
      this.#echoBack++;
      // Server -> client transit: client receive (its send + RTT) − server echo time.
      this.#down.add(this.#clientMs[seq] + rtt - this.#serverMs[seq]);
    }
    if (state === LATE) this.#late++;
    if (state === LOST_UP) this.#lostUp.push(seq);
    if (state === LOST_DOWN) this.#lostDown.push(seq);
    const sentMs = arrived
      ? this.#clientMs[seq]
      : (Number.isNaN(this.#baseMs)
        ? Date.now()
        : this.#baseMs + seq * 1000 / this.settings.rate);
    while (this.#outcomes.length <= seq) {
      const index = this.#outcomes.length;
      this.#outcomes.push({
        index,
        status: "pending",
        rtt_ms: null,
        sent_ms: Number.isNaN(this.#baseMs)
          ? 0
          : this.#baseMs + index * 1000 / this.settings.rate,
        received_ms: null,
        duplicates: 0,
      });
    }
    const o = this.#outcomes[seq];
    o.status = state === OK ? "ok" : state === LATE ? "late" : "lost";
    o.rtt_ms = rtt;
    o.sent_ms = sentMs;
    o.received_ms = rtt === null ? null : sentMs + rtt;
    this.#stats.observe(o);
    emit?.({
      target: "device",
      address,
      index: seq,
      seq: seq & 0xffff,
      sent_at: sentMs,
      rtt_ms: rtt === null ? null : Math.round(rtt * 1000) / 1000,
      status: o.status as "ok" | "late" | "lost",
      ttl: null,
      ts_source: "user",
    });
  }

  /** The round-trip statistics in the ping tests' form (interval events, /metrics). */
  stats() {
    return this.#stats.stats();
  }

  summary(): DeviceSummary {
    const s = this.#stats.stats();
    const sent = this.#settled;
    const up = this.#settledArrived;
    const downLost = up - this.#echoBack;
    const roundTrip = {
      sent,
      received: this.#echoBack - this.#late,
      late: this.#late,
      lost: sent - (this.#echoBack - this.#late),
      loss_pct: pct(sent - (this.#echoBack - this.#late), sent),
      min_rtt_ms: s.min_rtt_ms,
      avg_rtt_ms: s.avg_rtt_ms,
      median_rtt_ms: s.median_rtt_ms,
      p95_rtt_ms: s.p95_rtt_ms,
      max_rtt_ms: s.max_rtt_ms,
      mos: s.mos,
    };
    const upload = {
      sent,
      received: up,
      lost: sent - up,
      loss_pct: pct(sent - up, sent),
      jitter_ms: r3(this.#up.value),
    };
    const download = {
      echoed: up,
      received: this.#echoBack,
      lost: downLost,
      loss_pct: pct(downLost, up),
      jitter_ms: r3(this.#down.value),
    };
    const jitter = Math.max(upload.jitter_ms ?? 0, download.jitter_ms ?? 0);
    const verdicts = DEVICE_PRESETS.map((p) => {
      const reasons: string[] = [];
      if (roundTrip.loss_pct > p.max_loss_pct) {
        reasons.push(`loss ${roundTrip.loss_pct}% > ${p.max_loss_pct}%`);
      }
      if ((roundTrip.p95_rtt_ms ?? Infinity) > p.max_p95_rtt_ms) {
        reasons.push(
          `p95 RTT ${
            roundTrip.p95_rtt_ms ?? "none"
          } ms > ${p.max_p95_rtt_ms} ms`,
        );
      }
      if (jitter > p.max_jitter_ms) {
        reasons.push(`jitter ${jitter} ms > ${p.max_jitter_ms} ms`);
      }
      return { preset: p.id, pass: reasons.length === 0, reasons };
    });
    return {
      upload,
      download,
      round_trip: roundTrip,
      dropped_messages: this.dropped,
      verdicts,
    };
  }

  /** The `device` event: the summary so far and the losses settled since the last one. */
  event(): DeviceEventData {
    const ev = {
      timestamp: new Date().toISOString(),
      summary: this.summary(),
      lost_up: this.#lostUp,
      lost_down: this.#lostDown,
    };
    this.#lostUp = [];
    this.#lostDown = [];
    return ev;
  }
}
