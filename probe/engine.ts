// Schedules probes for many targets over one ICMP endpoint and turns replies,
// errors and timeouts into per-probe records. One loop: drain replies, serve
// the targets whose next send or timeout is due (a min-heap, so a wake-up
// costs O(log n) per due target, not a scan of all of them), then wait on the
// shim (a single pooled FFI call, woken early when work arrives) until the
// next thing is due.
//
// Sends are scheduled on a ScheduleClock: a loop that wakes late sends only
// what fell due in the last LATE_MS (plus the batch window ahead), and the rest
// of the schedule moves later; it never sends everything that fell due
// meanwhile at once. Timeouts are on the real clock.
import {
  EVENT_REPLY,
  type IcmpEvent,
  IcmpSocket,
  type SocketMode,
} from "./icmp_socket.ts";
import { type Family, formatAddress } from "./ip_address.ts";
import { icmpErrorText } from "./icmp_error_text.ts";
import { StatsAccumulator } from "./stats_accumulator.ts";
import { resolveTarget } from "./resolve_target.ts";
import { ProbeSlot, SWEEP_SLACK_MS } from "./probe_slot.ts";
import { DueHeap } from "./due_heap.ts";
import { ScheduleClock } from "./schedule_clock.ts";
import { ShimError } from "./icmp_errors.ts";
import type {
  ProbeRecord,
  ProbeSettings,
  TargetStats,
} from "../model/probe.ts";
import type { ResolvedTarget, TargetSpec } from "./target.ts";
import type { ProbeRun } from "./probe_run.ts";
import { KindEngine } from "./tcp/kind_engine.ts";

export type { ResolvedTarget, TargetSpec } from "./target.ts";
export type { ProbeRun } from "./probe_run.ts";

export interface RunOptions {
  /** Called for every probe record as it becomes final, and again for a late or duplicate reply. */
  onProbe?: (record: ProbeRecord) => void;
  /** Restrict name resolution to one family. */
  family?: Family;
  /**
   * When a target is done: by default it keeps listening until its last
   * probe's own timeout has passed, so every duplicate and late reply that
   * comes by then is counted. With `lingerMs`, it ends that long after its
   * last probe's outcome is known (reply, error or timeout), as `ping -c`
   * ends at the last reply: 0 ends at once; duplicates and late replies are
   * counted only within the linger.
   */
  lingerMs?: number;
  /**
   * Targets start staggered across one interval (default), so sends never
   * bunch up. `false` sends every target's probe of a round together: path
   * mode, where the targets are the hops of one route, one probe each per
   * round, and one wake-up sends the round and takes its answers.
   */
  stagger?: boolean;
}

const TOKEN_SPAN = 2 ** 32;
const MAX_TARGET_IDS = 2 ** 21;
/** How far back a reply or error without our token is looked for, in probes of each target. */
const LANE_MEMORY = 1024;
/**
 * The batch window: probes due this soon go out now, with those already due,
 * so at high rates one wake-up sends a batch instead of one probe; and a busy
 * loop (see BUSY_EVENTS) takes replies in batches this far apart. Each target
 * keeps its cadence (the next due time advances by the interval, not from
 * the send), and the RTT is unaffected (kernel send timestamps). Every turn
 * of the loop costs ~0.1 ms of CPU (an FFI wait on a pool thread and the
 * event loop's wake-up), so the window is WINDOW_SHARE of the shortest
 * interval probed, from SEND_AHEAD_MS (1 ms) up to MAX_WINDOW_MS: a probe
 * goes at most 3 % of its interval early.
 */
const SEND_AHEAD_MS = 1;
const MAX_WINDOW_MS = 3;
const WINDOW_SHARE = 0.03;
/**
 * A pass sends at most what is due within LATE_MS + the batch window of the
 * schedule; sends overdue by more set the schedule clock back. Above the
 * usual wake-up delay of the loop on a busy VM: at a load of 4 on 2 cores,
 * 1,000 targets × 20 probes at 100 ms took 10-15 % longer than scheduled
 * with 3 ms, 2-4 % with 5 ms, 1-2 % with 10 ms.
 */
const LATE_MS = 5;
/**
 * When a drain found at least this many events, the next wait lingers one
 * batch window after the first packet arrives, to take replies in batches.
 * At low rates (the live view) replies are taken at once.
 */
const BUSY_EVENTS = 8;

/** ICMP sequence numbers are per destination address, shared by every run probing it. */
class AddressLane {
  nextSeq = 1;
  /** The targets probing this address now. */
  readonly users: TargetState[] = [];

  /**
   * The probe a reply or error without our token answers: the latest one
   * sent with this wire sequence (such events are rare: an ICMP error that
   * quotes only 8 bytes of the probe).
   */
  find(seq: number): [TargetState, ProbeSlot] | undefined {
    let found: [TargetState, ProbeSlot] | undefined;
    for (const state of this.users) {
      const slots = state.slots;
      const stop = Math.max(0, slots.length - LANE_MEMORY);
      for (let k = slots.length - 1; k >= stop; k--) {
        const slot = slots[k];
        if (slot.seq !== seq) continue;
        if (!found || slot.sentMonotonic > found[1].sentMonotonic) {
          found = [state, slot];
        }
        break;
      }
    }
    return found;
  }
}

class TargetState {
  readonly slots: ProbeSlot[] = [];
  /** Statistics kept current as slots change (every change goes through ProbeRun.emit). */
  readonly stats = new StatsAccumulator(this.slots);
  oldestPending = 0;
  /** performance.now() when, sending done, every probe had its outcome; -1 before. */
  settledAt = -1;
  /** Next send, on the engine's schedule clock. */
  nextDue = 0;
  /**
   * When the engine next looks at this target (send or timeout), on the real
   * clock; heap key. Setting the schedule clock back after this was set makes
   * it early, never late: the target is then found not due and put back.
   */
  due = 0;
  heapIndex = -1;
  sending = true;
  finished = false;
  kernelTs = true;
  constructor(
    readonly id: number,
    readonly run: IcmpRun,
    readonly spec: ResolvedTarget,
    readonly bytes: Uint8Array,
    readonly scopeId: number,
    readonly lane: AddressLane,
    readonly total: number,
  ) {}
}

/** One started ICMP probing run over several targets. */
export class IcmpRun implements ProbeRun {
  readonly targets: ResolvedTarget[];
  readonly settings: ProbeSettings;
  /** RunOptions.lingerMs: undefined listens until the last probe's timeout. */
  readonly lingerMs?: number;
  readonly done: Promise<void>;
  /** @internal */ states: TargetState[] = [];
  #resolveDone!: () => void;
  #rejectDone!: (e: Error) => void;
  #engine: Engine;
  readonly #onProbe?: (record: ProbeRecord) => void;
  #stopped = false;
  #finished = 0;

  /** @internal */
  constructor(
    engine: Engine,
    targets: ResolvedTarget[],
    settings: ProbeSettings,
    options: RunOptions,
  ) {
    this.#engine = engine;
    this.targets = targets;
    this.settings = settings;
    this.#onProbe = options.onProbe;
    this.lingerMs = options.lingerMs;
    this.done = new Promise((resolve, reject) => {
      this.#resolveDone = resolve;
      this.#rejectDone = reject;
    });
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  /** Stops sending at once; replies still in flight are awaited until their timeout. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const s of this.states) s.sending = false;
    this.#engine.serveNow(this.states);
  }

  /** Stops sending to the target at `i` only (path mode: hops past the destination). */
  stopTarget(i: number): void {
    const state = this.states[i];
    if (!state || !state.sending) return;
    state.sending = false;
    this.#engine.serveNow([state]);
  }

  /** Cumulative statistics of the target at `i` (index into `targets`). */
  stats(i: number): TargetStats {
    return this.states[i].stats.stats();
  }

  /** Probes of the target at `i` in send order, as known now. */
  outcomes(i: number): readonly ProbeSlot[] {
    return this.states[i].slots;
  }

  /** @internal */ emit(
    state: TargetState,
    slot: ProbeSlot,
    status: ProbeRecord["status"],
    rttMs: number | null,
  ) {
    state.stats.observe(slot);
    this.#onProbe?.(slot.record(state.spec, status, rttMs));
  }

  /** @internal The engine's loop failed: `done` rejects with its error. */
  fail(error: Error): void {
    this.#stopped = true;
    for (const s of this.states) {
      s.sending = false;
      s.finished = true;
    }
    this.#rejectDone(error);
  }

  /** @internal One more target finished; true (and `done` resolves) when it was the last. */
  finishIfDone(): boolean {
    if (++this.#finished < this.states.length) return false;
    this.#resolveDone();
    return true;
  }
}

/** ICMP time exceeded or destination unreachable: what answers a TTL-limited probe. */
function answersHop(ev: IcmpEvent): boolean {
  return ev.family === 4
    ? ev.icmpType === 11 || ev.icmpType === 3
    : ev.icmpType === 3 || ev.icmpType === 1;
}

/** The probe engine: one per process is enough for any number of runs. */
export class Engine {
  readonly #sock: IcmpSocket;
  readonly #byId = new Map<number, TargetState>();
  readonly #lanes = new Map<string, AddressLane>();
  readonly #runs = new Set<IcmpRun>();
  /** The TCP and TLS probe kinds (settings.probe). */
  readonly kinds = new KindEngine();
  readonly #heap = new DueHeap<TargetState>();
  /** Targets taken off the heap in one pass (reused, no per-pass garbage). */
  readonly #batch: TargetState[] = [];
  #nextId = 1;
  readonly #clock = new ScheduleClock(LATE_MS);
  /** The batch window for the runs in progress (see SEND_AHEAD_MS). */
  #window = SEND_AHEAD_MS;
  #loop: Promise<void> | null = null;
  #closed = false;

  private constructor(sock: IcmpSocket) {
    this.#sock = sock;
  }

  /** Loads the shim; sockets open on first use of each family. */
  static create(): Engine {
    return new Engine(IcmpSocket.create());
  }

  /** Opens the family's ICMP socket now; throws IcmpPermissionError without privilege. */
  socketMode(family: Family): SocketMode {
    return this.#sock.open(family);
  }

  get activeRuns(): number {
    return this.#runs.size + this.kinds.activeRuns;
  }

  /** Resolves every host, then starts probing all of them at once. */
  async run(
    specs: TargetSpec[],
    settings: ProbeSettings,
    options: RunOptions = {},
  ): Promise<ProbeRun> {
    if (this.#closed) throw new Error("engine is closed");
    const kind = settings.probe?.kind;
    if (kind !== undefined && kind !== "icmp") {
      return this.kinds.run(specs, settings, options);
    }
    const linger = options.lingerMs;
    if (linger !== undefined && !(linger >= 0 && linger < Infinity)) {
      throw new RangeError(`lingerMs must be a finite number >= 0: ${linger}`);
    }
    const resolved = await Promise.all(
      specs.map((s) => resolveTarget(s.host, options.family)),
    );
    const targets = resolved.map((r, i) => ({
      ...specs[i],
      address: r.text,
      family: r.family,
    }));
    for (const r of resolved) this.#sock.open(r.family);
    const run = new IcmpRun(this, targets, settings, options);
    const total = settings.count ??
      (settings.duration_s !== undefined
        ? Math.ceil(settings.duration_s * 1000 / settings.interval_ms)
        : Infinity);
    const start = this.#clock.at(performance.now());
    targets.forEach((t, i) => {
      const laneKey = `${t.family}/${t.address}`;
      let lane = this.#lanes.get(laneKey);
      if (!lane) this.#lanes.set(laneKey, lane = new AddressLane());
      const state = new TargetState(
        this.#allocId(),
        run,
        t,
        resolved[i].bytes,
        resolved[i].scopeId,
        lane,
        total,
      );
      // Targets start staggered across one interval, so sends never bunch
      // up; the loop's pacing keeps the stagger however late it first runs.
      state.nextDue = options.stagger === false
        ? start
        : start + (i * settings.interval_ms) / targets.length;
      state.due = this.#clock.realOf(state.nextDue);
      lane.users.push(state);
      this.#heap.push(state);
      this.#byId.set(state.id, state);
      run.states.push(state);
    });
    this.#runs.add(run);
    this.#sizeWindow();
    this.#ensureLoop();
    return run;
  }

  /** Wakes the loop so it notices new or stopped work now. */
  poke(): void {
    this.#sock.wake();
  }

  /** @internal Serves these targets at the next pass (e.g. after a stop), then wakes the loop. */
  serveNow(states: readonly TargetState[]): void {
    for (const s of states) {
      if (s.finished) continue;
      s.due = 0;
      this.#heap.update(s);
    }
    this.poke();
  }

  /** Stops every run and closes the sockets; no FFI thread stays blocked. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const run of this.#runs) run.stop();
    this.poke();
    await this.#loop;
    await this.#sock.close();
    await this.kinds.close();
  }

  #sizeWindow(): void {
    let shortest = Infinity;
    for (const run of this.#runs) {
      shortest = Math.min(shortest, run.settings.interval_ms);
    }
    this.#window = Math.min(
      MAX_WINDOW_MS,
      Math.max(SEND_AHEAD_MS, shortest * WINDOW_SHARE),
    );
  }

  #allocId(): number {
    for (;;) {
      const id = this.#nextId;
      this.#nextId = this.#nextId % (MAX_TARGET_IDS - 1) + 1;
      if (!this.#byId.has(id)) return id;
    }
  }

  #ensureLoop(): void {
    if (this.#loop) {
      this.poke();
      return;
    }
    this.#loop = this.#runLoop()
      .catch((e) => this.#failAll(e))
      .finally(() => this.#loop = null);
  }

  /**
   * The loop met an error it cannot handle (a socket error, or an `onProbe`
   * that threw): every run in progress fails with it instead of the process
   * dying of an unhandled rejection, and the next run starts clean.
   */
  #failAll(e: unknown): void {
    const error = new Error(
      `probe engine stopped: ${e instanceof Error ? e.message : String(e)}`,
      { cause: e },
    );
    for (const run of this.#runs) run.fail(error);
    for (const state of this.#byId.values()) this.#heap.remove(state);
    this.#runs.clear();
    this.#sizeWindow();
    this.#byId.clear();
    this.#lanes.clear();
  }

  async #runLoop(): Promise<void> {
    const onEvent = (ev: IcmpEvent) => this.#onEvent(ev);
    const heap = this.#heap;
    const batch = this.#batch;
    while (this.#byId.size > 0) {
      // The clock is read before the drain: a probe is declared lost only
      // when its deadline had passed before the socket was read, so a reply
      // queued in time is never missed because this thread paused after the
      // drain (a busy core once turned a 3.6 ms reply to a 4 ms timeout late).
      const now = performance.now();
      const events = this.#sock.drain(onEvent);
      // Take every target due now (or within the batch window) off the heap
      // first, then serve each once: a timeout due in a moment goes back on
      // the heap instead of being looked at again in this pass.
      const ahead = now + this.#window;
      let earliest = Infinity;
      while (heap.size > 0 && heap.peek()!.due <= ahead) {
        const state = heap.pop()!;
        if (state.sending && state.nextDue < earliest) earliest = state.nextDue;
        batch.push(state);
      }
      const scheduleNow = this.#clock.pace(now, earliest);
      for (const state of batch) {
        let next = state.sending
          ? this.#clock.realOf(this.#sendDue(state, scheduleNow))
          : Infinity;
        next = Math.min(next, this.#expire(state, now));
        if (state.finished) continue;
        state.due = next;
        heap.push(state);
      }
      batch.length = 0;
      if (this.#closed && this.#byId.size > 0) {
        // Closing: give up on replies still in flight.
        for (const state of this.#byId.values()) {
          this.#expire(state, Infinity);
          if (!state.finished) this.#finish(state);
        }
      }
      if (this.#byId.size === 0) break;
      const next = Math.min(heap.peek()?.due ?? Infinity, now + 1000);
      await this.#sock.wait(
        (next - performance.now()) * 1000,
        events >= BUSY_EVENTS ? this.#window * 1000 : 0,
      );
    }
  }

  /**
   * Sends the target's probe if due; returns its next send. Both times are on
   * the schedule clock.
   */
  #sendDue(state: TargetState, now: number): number {
    const interval = state.run.settings.interval_ms;
    if (state.slots.length >= state.total) {
      state.sending = false;
      return Infinity;
    }
    if (state.nextDue > now + this.#window) return state.nextDue;
    this.#sendOne(state);
    // One probe per due time; if the loop fell behind, it resumes the cadence
    // from now instead of sending a burst.
    state.nextDue = Math.max(state.nextDue + interval, now + interval / 2);
    if (state.slots.length >= state.total) {
      state.sending = false;
      return Infinity;
    }
    return state.nextDue;
  }

  #sendOne(state: TargetState): void {
    const { settings } = state.run;
    const lane = state.lane;
    const index = state.slots.length;
    const seq = lane.nextSeq;
    lane.nextSeq = (seq + 1) & 0xffff;
    const token = state.id * TOKEN_SPAN + index;
    const r = this.#sock.send(
      state.spec.family,
      state.bytes,
      state.scopeId,
      seq,
      token,
      settings.size,
      state.spec.hop ?? settings.ttl ?? 0,
    );
    const slot = new ProbeSlot(index, seq);
    state.slots.push(slot);
    if (typeof r === "number") {
      // The kernel refused the send (no route, buffer full): an error probe.
      slot.sentMonotonic = performance.now();
      slot.sent_ms = Date.now();
      slot.status = "error";
      slot.localError = new ShimError("send", r).code;
      state.run.emit(state, slot, "error", null);
      return;
    }
    slot.txNs = r.txNs;
    slot.kernelTs = r.kernelTs;
    slot.sent_ms = this.#sock.baseMs + r.txNs / 1e6;
    slot.sentMonotonic = performance.now();
  }

  /** Marks timed-out probes lost; returns when the next one could time out. */
  #expire(state: TargetState, now: number): number {
    const timeout = state.run.settings.timeout_ms;
    const slots = state.slots;
    while (state.oldestPending < slots.length) {
      const slot = slots[state.oldestPending];
      if (slot.status === "pending") {
        const deadline = slot.sentMonotonic + timeout + SWEEP_SLACK_MS;
        if (deadline > now) return deadline;
        slot.status = "lost";
        state.run.emit(state, slot, "lost", null);
      }
      state.oldestPending++;
    }
    if (state.sending || state.finished) return Infinity;
    let end: number;
    const linger = state.run.lingerMs;
    if (linger === undefined) {
      // Keep listening until the last probe's own timeout has passed, so its
      // duplicates and the late replies of earlier probes are still counted.
      const last = slots.at(-1);
      end = last ? last.sentMonotonic + timeout + SWEEP_SLACK_MS : 0;
    } else {
      // Every probe has its outcome (a reply that settles the last one
      // brings the target here at once): listen `linger` more.
      if (state.settledAt < 0) state.settledAt = now;
      end = state.settledAt + linger;
    }
    if (now < end) return end;
    this.#finish(state);
    return Infinity;
  }

  #finish(state: TargetState): void {
    state.finished = true;
    this.#heap.remove(state);
    this.#byId.delete(state.id);
    const users = state.lane.users;
    users.splice(users.indexOf(state), 1);
    if (users.length === 0) {
      this.#lanes.delete(`${state.spec.family}/${state.spec.address}`);
    }
    if (state.run.finishIfDone()) {
      this.#runs.delete(state.run);
      this.#sizeWindow();
    }
  }

  #onEvent(ev: IcmpEvent): void {
    let state: TargetState | undefined;
    let slot: ProbeSlot | undefined;
    if (ev.hasToken) {
      state = this.#byId.get(Math.floor(ev.token / TOKEN_SPAN));
      slot = state?.slots[ev.token % TOKEN_SPAN];
    } else {
      // A reply without our payload (ping sockets) or an error quoting only
      // 8 bytes: match by destination address and wire sequence.
      const peer = ev.kind === EVENT_REPLY ? ev.from : ev.dst;
      const lane = this.#lanes.get(
        `${ev.family}/${formatAddress(ev.family, peer)}`,
      );
      const found = lane?.find(ev.seq);
      if (found) [state, slot] = found;
    }
    if (
      !state || !slot || slot.seq !== ev.seq || state.spec.family !== ev.family
    ) return;
    if (ev.kind === EVENT_REPLY) this.#onReply(state, slot, ev);
    else this.#onError(state, slot, ev);
  }

  #onReply(state: TargetState, slot: ProbeSlot, ev: IcmpEvent): void {
    const bytes = state.bytes;
    const n = state.spec.family === 4 ? 4 : 16;
    for (let i = 0; i < n; i++) if (ev.from[i] !== bytes[i]) return;
    this.#answer(state, slot, ev);
  }

  /** The probe's first answer (or a duplicate): a reply, or in path mode a router's. */
  #answer(state: TargetState, slot: ProbeSlot, ev: IcmpEvent): void {
    const rttMs = Math.round((ev.rxNs - slot.txNs) / 1000) / 1000;
    const late = rttMs > state.run.settings.timeout_ms;
    switch (slot.status) {
      case "pending":
      case "lost":
        slot.status = late || slot.status === "lost" ? "late" : "ok";
        slot.rtt_ms = rttMs;
        slot.received_ms = this.#sock.baseMs + ev.rxNs / 1e6;
        slot.ttl = ev.ttl;
        slot.kernelTs &&= ev.kernelTs;
        state.run.emit(state, slot, slot.status, rttMs);
        this.#lookSoon(state);
        return;
      default:
        slot.duplicates++;
        state.run.emit(state, slot, "duplicate", rttMs);
    }
  }

  #onError(state: TargetState, slot: ProbeSlot, ev: IcmpEvent): void {
    if (state.spec.hop !== undefined && answersHop(ev)) {
      // Path mode: the router at this hop answered ("time exceeded"), or
      // the path ends there (unreachable): that is the hop's reply.
      if (slot.from === undefined) {
        slot.from = formatAddress(ev.family, ev.from);
      }
      this.#answer(state, slot, ev);
      return;
    }
    if (slot.status !== "pending") return;
    slot.status = "error";
    const from = formatAddress(ev.family, ev.from);
    slot.icmp = {
      type: ev.icmpType,
      code: ev.icmpCode,
      from,
      text: icmpErrorText(ev.family, ev.icmpType, ev.icmpCode),
    };
    slot.received_ms = this.#sock.baseMs + ev.rxNs / 1e6;
    state.run.emit(state, slot, "error", null);
    this.#lookSoon(state);
  }

  /**
   * A probe of a target done sending just got its outcome: with a linger the
   * target may be settled, so the loop looks at it in this pass instead of
   * at the next timeout. (Called while draining: the target is on the heap.)
   */
  #lookSoon(state: TargetState): void {
    if (state.sending || state.run.lingerMs === undefined) return;
    state.due = 0;
    this.#heap.update(state);
  }
}
