// Schedules the probes of a TCP or TLS kind for several targets and turns
// their answers and timeouts into records, with the ICMP engine's cadence,
// timeout, late and linger rules and the same StatsAccumulator, so the
// statistics mean exactly what they mean for ICMP. What one probe is (a SYN
// through the shim, a connect(), a TLS handshake) is the prober's business.
//
// Timers, not a wait on the shim: a prober answers through a callback (a
// socket event, or the tcp-syn socket's one receive loop), so this loop only
// wakes for sends and timeouts.
import { SWEEP_SLACK_MS } from "../probe_slot.ts";
import type {
  ProbeKind,
  ProbeRecord,
  ProbeSettings,
  TargetStats,
  TcpAnswer,
  TlsInfo,
} from "../../model/probe.ts";
import { StatsAccumulator } from "../stats_accumulator.ts";
import type { ProbeRun } from "../probe_run.ts";
import type { ResolvedTarget } from "../target.ts";
import { KindSlot } from "./kind_slot.ts";

/** What answered one probe, as its prober saw it. */
export interface Answer {
  /** Round-trip time in ms (µs resolution); null for a failure before any answer. */
  rttMs: number | null;
  /** Arrival time, ms since the epoch. */
  receivedMs: number;
  /** Both stamps from the kernel. */
  kernelTs: boolean;
  /** A failed probe (status `error`): an errno name or a TLS verification error. */
  error?: string;
  tcp?: TcpAnswer;
  tls?: TlsInfo;
}

/** One probe kind's way of sending a probe. */
export interface KindProber {
  readonly kind: ProbeKind;
  /**
   * Sends one probe to `target`:`port`, setting the slot's `sent_ms`,
   * `sentMonotonic` (performance.now()) and `txNs`. Calls `answer` at most
   * once (possibly before returning). Returns what frees the probe's
   * resources (socket, source port); the run calls it once the probe can no
   * longer be counted.
   */
  start(
    target: ResolvedTarget,
    port: number,
    slot: KindSlot,
    answer: (a: Answer) => void,
  ): () => void;
}

/** An unanswered attempt is abandoned this many timeouts after its send (late answers come until then). */
const GIVE_UP_TIMEOUTS = 2;
/** Sends due this soon go now (timers fire about 1 ms late anyway). */
const AHEAD_MS = 0.5;
/** Sends overdue by more than this are not made up for (see #serve). */
const LATE_MS = 5;

class KindTarget {
  readonly slots: KindSlot[] = [];
  readonly stats = new StatsAccumulator(this.slots);
  /** Attempts not yet freed, by probe index: when to give up, and how. */
  readonly inflight = new Map<number, { until: number; free: () => void }>();
  oldestPending = 0;
  settledAt = -1;
  nextDue = 0;
  sending = true;
  finished = false;
  constructor(readonly spec: ResolvedTarget, readonly total: number) {}
}

export interface KindRunOptions {
  onProbe?: (record: ProbeRecord) => void;
  lingerMs?: number;
  stagger?: boolean;
}

export class KindRun implements ProbeRun {
  readonly done: Promise<void>;
  readonly lingerMs?: number;
  readonly #states: KindTarget[];
  readonly #port: number;
  readonly #onProbe?: (record: ProbeRecord) => void;
  #stopped = false;
  #closing = false;
  #wake: (() => void) | null = null;

  constructor(
    readonly targets: ResolvedTarget[],
    readonly settings: ProbeSettings,
    readonly prober: KindProber,
    options: KindRunOptions,
  ) {
    this.lingerMs = options.lingerMs;
    this.#onProbe = options.onProbe;
    this.#port = settings.probe?.port ?? 0;
    const total = settings.count ??
      (settings.duration_s !== undefined
        ? Math.ceil(settings.duration_s * 1000 / settings.interval_ms)
        : Infinity);
    const start = performance.now();
    this.#states = targets.map((t, i) => {
      const s = new KindTarget(t, total);
      s.nextDue = options.stagger === false
        ? start
        : start + (i * settings.interval_ms) / targets.length;
      return s;
    });
    this.done = this.#loop();
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const s of this.#states) s.sending = false;
    this.#poke();
  }

  stopTarget(i: number): void {
    const s = this.#states[i];
    if (!s || !s.sending) return;
    s.sending = false;
    this.#poke();
  }

  stats(i: number): TargetStats {
    return this.#states[i].stats.stats();
  }

  outcomes(i: number): readonly KindSlot[] {
    return this.#states[i].slots;
  }

  /** Gives up on answers in flight and ends the run (the engine is closing). */
  abort(): Promise<void> {
    this.#closing = true;
    this.stop();
    this.#poke();
    return this.done.catch(() => {});
  }

  #poke(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const id = setTimeout(() => {
        this.#wake = null;
        resolve();
      }, Math.max(0, ms));
      this.#wake = () => {
        clearTimeout(id);
        resolve();
      };
    });
  }

  async #loop(): Promise<void> {
    // First sends after run() has returned, so the caller sees the run
    // (and prints its header) before any answer.
    await new Promise((resolve) => setTimeout(resolve, 0));
    try {
      for (;;) {
        const now = performance.now();
        let next = now + 1000;
        let live = 0;
        for (const s of this.#states) {
          if (s.finished) continue;
          next = Math.min(next, this.#serve(s, now));
          if (!s.finished) live++;
        }
        if (live === 0) break;
        await this.#sleep(next - performance.now());
      }
    } finally {
      for (const s of this.#states) this.#finish(s);
    }
  }

  /** Sends the target's probe if due and sweeps timeouts; returns when to look again. */
  #serve(s: KindTarget, now: number): number {
    let next = Infinity;
    if (s.sending && s.slots.length >= s.total) s.sending = false;
    if (s.sending) {
      const interval = this.settings.interval_ms;
      // As the ICMP engine's schedule clock: what fell due in the last
      // LATE_MS goes now (timers wake a millisecond or so late); a loop
      // further behind moves the schedule later instead of sending a burst.
      if (s.nextDue < now - LATE_MS) s.nextDue = now;
      while (s.sending && s.nextDue <= now + AHEAD_MS) {
        this.#send(s);
        s.nextDue += interval;
        if (s.slots.length >= s.total) s.sending = false;
      }
      if (s.sending) next = s.nextDue;
    }
    return Math.min(next, this.#expire(s, now));
  }

  #send(s: KindTarget): void {
    const index = s.slots.length;
    const slot = new KindSlot(
      index,
      index & 0xffff,
      this.prober.kind,
      this.#port,
    );
    s.slots.push(slot);
    let answered = false;
    const free = this.prober.start(s.spec, this.#port, slot, (a) => {
      answered = true;
      this.#answer(s, slot, a);
    });
    if (slot.sentMonotonic === 0) slot.sentMonotonic = performance.now();
    if (answered && slot.status === "error") {
      free();
      return;
    }
    s.inflight.set(index, {
      until: slot.sentMonotonic +
        GIVE_UP_TIMEOUTS * this.settings.timeout_ms,
      free,
    });
  }

  #expire(s: KindTarget, now: number): number {
    const timeout = this.settings.timeout_ms;
    let next = Infinity;
    for (const [index, f] of s.inflight) {
      if (this.#closing || f.until <= now) {
        s.inflight.delete(index);
        f.free();
      } else next = Math.min(next, f.until);
    }
    const slots = s.slots;
    while (s.oldestPending < slots.length) {
      const slot = slots[s.oldestPending];
      if (slot.status === "pending") {
        const deadline = slot.sentMonotonic + timeout + SWEEP_SLACK_MS;
        if (deadline > now && !this.#closing) return Math.min(next, deadline);
        slot.status = "lost";
        this.#emit(s, slot, "lost", null);
      }
      s.oldestPending++;
    }
    if (s.sending) return next;
    let end: number;
    if (this.#closing) end = 0;
    else if (this.lingerMs === undefined) {
      const last = slots.at(-1);
      end = last ? last.sentMonotonic + timeout + SWEEP_SLACK_MS : 0;
    } else {
      if (s.settledAt < 0) s.settledAt = now;
      end = s.settledAt + this.lingerMs;
    }
    if (now < end) return Math.min(next, end);
    this.#finish(s);
    return Infinity;
  }

  #finish(s: KindTarget): void {
    if (s.finished) return;
    s.finished = true;
    s.sending = false;
    for (const f of s.inflight.values()) f.free();
    s.inflight.clear();
  }

  #answer(s: KindTarget, slot: KindSlot, a: Answer): void {
    if (s.finished) return;
    const f = s.inflight.get(slot.index);
    if (f) {
      s.inflight.delete(slot.index);
      f.free();
    }
    if (a.tcp) slot.tcp = a.tcp;
    if (a.tls) slot.tls = a.tls;
    if (a.error !== undefined) {
      if (slot.status !== "pending") return;
      slot.status = "error";
      slot.localError = a.error;
      slot.kernelTs = a.kernelTs;
      slot.received_ms = a.receivedMs;
      this.#emit(s, slot, "error", null);
    } else if (slot.status === "pending" || slot.status === "lost") {
      const rtt = a.rttMs ?? 0;
      const late = rtt > this.settings.timeout_ms;
      slot.status = late || slot.status === "lost" ? "late" : "ok";
      slot.rtt_ms = rtt;
      slot.received_ms = a.receivedMs;
      slot.kernelTs = a.kernelTs;
      this.#emit(s, slot, slot.status, rtt);
    } else {
      slot.duplicates++;
      this.#emit(s, slot, "duplicate", a.rttMs);
    }
    // A target done sending may be settled now: look at once.
    if (!s.sending && this.lingerMs !== undefined) this.#poke();
  }

  #emit(
    s: KindTarget,
    slot: KindSlot,
    status: ProbeRecord["status"],
    rttMs: number | null,
  ): void {
    s.stats.observe(slot);
    this.#onProbe?.(slot.record(s.spec, status, rttMs));
  }
}
