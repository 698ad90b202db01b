// The client side of a device test, shared by the page and the terminal
// client (no zod, no I/O of its own): sends probes on schedule, matches the
// echoes, settles each probe (its RTT, or lost once it waited long enough)
// and reports the settled ones to the server in small results messages.
import {
  type ClientControl,
  decodeEcho,
  encodeProbe,
  RESULTS_PER_MESSAGE,
  T_ECHO,
} from "./device_wire.ts";

export interface ProberSettings {
  size: number;
  rate: number;
  duration_s: number;
  delay_ms: number;
  warmup_s: number;
}

export interface ProberIo {
  /** Sends on the unreliable probe channel. */
  sendProbe(b: Uint8Array): void;
  /** Sends on the reliable control channel. */
  sendControl(m: ClientControl): void;
  /** Wall-clock milliseconds with sub-ms resolution (timeOrigin + performance.now()). */
  now(): number;
}

/** How long a probe waits for its echo: twice the acceptable delay, at least 250 ms past it. */
export const waitOf = (delayMs: number) => Math.max(2 * delayMs, delayMs + 250);

/** At most this many probes leave in one tick (a late tick sends the rest later). */
const BURST = 8;

export class DeviceProber {
  readonly total: number;
  readonly #warmups: number;
  readonly #s: ProberSettings;
  readonly #io: ProberIo;
  readonly #sentMs: Float64Array;
  readonly #rttUs: Int32Array;
  readonly #settled: Uint8Array;
  #t0 = NaN;
  #nextWarmup = 0;
  #next = 0;
  #oldest = 0;
  #pending: [number, number][] = [];
  #lastFlush = 0;
  #done = false;
  /** Echoes received (in time or late) and probes settled so far. */
  echoes = 0;
  settledCount = 0;

  constructor(settings: ProberSettings, io: ProberIo) {
    this.#s = settings;
    this.#io = io;
    this.total = Math.ceil(settings.rate * settings.duration_s);
    this.#warmups = Math.ceil(settings.rate * settings.warmup_s);
    this.#sentMs = new Float64Array(this.total);
    this.#rttUs = new Int32Array(this.total).fill(-1);
    this.#settled = new Uint8Array(this.total);
  }

  get sent(): number {
    return this.#next;
  }

  /** True once every probe is settled and `done` was sent. */
  get finished(): boolean {
    return this.#done;
  }

  /** RTT in ms of a settled probe, or null (lost). */
  rttOf(seq: number): number | null {
    return this.#rttUs[seq] < 0 ? null : this.#rttUs[seq] / 1000;
  }

  /** Sends what fell due, settles what waited long enough, reports; true once finished. */
  tick(): boolean {
    if (this.#done) return true;
    const now = this.#io.now();
    if (Number.isNaN(this.#t0)) this.#t0 = now;
    const period = 1000 / this.#s.rate;
    let burst = BURST;
    while (
      this.#nextWarmup < this.#warmups &&
      this.#t0 + this.#nextWarmup * period <= now && burst-- > 0
    ) {
      this.#io.sendProbe(
        encodeProbe(this.#nextWarmup++, this.#io.now(), this.#s.size, true),
      );
    }
    const start = this.#t0 + this.#warmups * period;
    while (
      this.#nextWarmup >= this.#warmups && this.#next < this.total &&
      start + this.#next * period <= now && burst-- > 0
    ) {
      const seq = this.#next++;
      const at = this.#io.now();
      this.#sentMs[seq] = at;
      this.#io.sendProbe(encodeProbe(seq, at, this.#s.size));
    }
    const wait = waitOf(this.#s.delay_ms);
    while (
      this.#oldest < this.#next && this.#sentMs[this.#oldest] + wait <= now
    ) {
      this.#settle(this.#oldest++);
    }
    while (this.#oldest < this.#next && this.#settled[this.#oldest]) {
      this.#oldest++;
    }
    if (this.#pending.length && now - this.#lastFlush >= 100) this.#flush(now);
    if (this.#next === this.total && this.#oldest === this.total) {
      this.#flush(now);
      this.#io.sendControl({ t: "done", sent: this.total });
      this.#done = true;
    }
    return this.#done;
  }

  /** An echo arrived (bytes as received). */
  onEcho(b: Uint8Array): void {
    const now = this.#io.now();
    const e = decodeEcho(b);
    if (!e || e.type !== T_ECHO || e.seq >= this.#next) return;
    if (this.#settled[e.seq]) return;
    this.#rttUs[e.seq] = Math.max(
      0,
      Math.round((now - this.#sentMs[e.seq]) * 1000),
    );
    this.echoes++;
    this.#settle(e.seq);
  }

  /** Stops early: tells the server, which ends the test `stopped`. */
  stop(): void {
    if (this.#done) return;
    this.#flush(this.#io.now());
    this.#io.sendControl({ t: "stop" });
    this.#done = true;
  }

  #settle(seq: number): void {
    if (this.#settled[seq]) return;
    this.#settled[seq] = 1;
    this.settledCount++;
    this.#pending.push([seq, this.#rttUs[seq]]);
    if (this.#pending.length >= RESULTS_PER_MESSAGE) {
      this.#flush(this.#io.now());
    }
  }

  #flush(now: number): void {
    this.#lastFlush = now;
    while (this.#pending.length) {
      this.#io.sendControl({
        t: "results",
        packets: this.#pending.splice(0, RESULTS_PER_MESSAGE),
      });
    }
  }
}
