/**
 * computeStats kept up to date as outcomes resolve, so a live view costs what
 * changed since the last call instead of the whole history. Exactly equal to
 * computeStats(outcomes) (the property test checks it), given the engine's
 * contract:
 *
 * - `outcomes[k].index === k` (the engine's slots, appended in send order);
 * - `observe(o)` is called after every change of `o` (resolution, lost →
 *   late, a duplicate); a newly appended pending outcome needs no call;
 * - an outcome resolves once: "ok" stays "ok" with the same RTT and arrival,
 *   a not-"ok" status only moves to another not-"ok" one, sent_ms is fixed.
 *
 * Order-free figures are counted as outcomes are observed; RTT percentiles
 * come from a sorted multiset. The send-order figures are a fold over the
 * longest fully resolved prefix, which can no longer change, continued over
 * the short unresolved tail (about one timeout's worth of probes) on each
 * call. "reordered" is counted as replies are observed in arrival order; an
 * arrival earlier than one already seen (a clock step) recounts it once.
 * Anything outside the contract switches to computeStats for good.
 */
import type { ProbeOutcome, TargetStats } from "../model/probe.ts";
import { SendOrderFold } from "./send_order_fold.ts";
import { SortedSamples } from "./sorted_samples.ts";
import {
  arrivalOf,
  computeStats,
  countReordered,
  outageMinProbesOf,
  type OutcomeCounts,
  type StatsOptions,
  summarize,
} from "./statistics.ts";

// What was last observed of each outcome.
const UNSEEN = 0;
const OK = 1;
const LOST = 2;
const LATE = 3;
const ERROR = 4;
const CODES = new Map<string, number>([
  ["pending", UNSEEN],
  ["ok", OK],
  ["lost", LOST],
  ["late", LATE],
  ["error", ERROR],
]);

export class StatsAccumulator {
  readonly #outcomes: readonly ProbeOutcome[];
  readonly #options?: StatsOptions;
  #codes = new Uint8Array(256);
  /** Duplicates last observed, for the outcomes that have any (few). */
  readonly #dups = new Map<number, number>();
  readonly #counts = {
    resolved: 0,
    received: 0,
    late: 0,
    errors: 0,
    duplicates: 0,
  };
  readonly #rtts = new SortedSamples();
  /** Fold over outcomes [0, #settled), all resolved. */
  readonly #prefix: SendOrderFold;
  #settled = 0;
  // Reordered: the latest arrival seen, the highest index that arrived
  // strictly before it and the highest that arrived at it.
  #reordered = 0;
  #lastArrival = -Infinity;
  #maxIndexBefore = -1;
  #maxIndexAt = -1;
  #recountReordered = false;
  #fallback = false;

  constructor(outcomes: readonly ProbeOutcome[], options?: StatsOptions) {
    this.#outcomes = outcomes;
    this.#options = options;
    this.#prefix = new SendOrderFold(outageMinProbesOf(options));
  }

  /** False once a change outside the contract made it fall back to computeStats. */
  get incremental(): boolean {
    return !this.#fallback;
  }

  /** Takes in the current state of `o`, which just changed. */
  observe(o: ProbeOutcome): void {
    if (this.#fallback) return;
    const k = o.index;
    const code = CODES.get(o.status);
    if (
      code === undefined || !Number.isInteger(k) || this.#outcomes[k] !== o
    ) {
      this.#fallback = true;
      return;
    }
    this.#ensure(k);
    const was = this.#codes[k];
    if (was === UNSEEN) {
      if (code !== UNSEEN) this.#resolve(o, code);
    } else if (code === UNSEEN || (code === OK) !== (was === OK)) {
      this.#fallback = true;
      return;
    } else {
      this.#uncount(was);
      this.#count(code);
    }
    this.#codes[k] = code;
    if (code !== UNSEEN) {
      const had = this.#dups.get(k) ?? 0;
      if (o.duplicates !== had) {
        this.#counts.duplicates += o.duplicates - had;
        this.#dups.set(k, o.duplicates);
      }
    }
  }

  /** The statistics of every outcome as now known: equal to computeStats(outcomes). */
  stats(): TargetStats {
    const outcomes = this.#outcomes;
    if (this.#fallback) return computeStats(outcomes, this.#options);
    const fold = this.#prefix.copy();
    const n = outcomes.length;
    for (let k = this.#settled; k < n; k++) {
      const o = outcomes[k];
      const code = k < this.#codes.length ? this.#codes[k] : UNSEEN;
      if (CODES.get(o.status) !== code || o.index !== k) {
        // Changed without observe(): outside the contract.
        this.#fallback = true;
        return computeStats(outcomes, this.#options);
      }
      if (code !== UNSEEN) fold.add(o);
    }
    if (this.#recountReordered) this.#recount();
    const c = this.#counts;
    const counts: OutcomeCounts = {
      pending: n - c.resolved,
      sent: c.resolved,
      received: c.received,
      late: c.late,
      errors: c.errors,
      duplicates: c.duplicates,
    };
    return summarize(counts, fold, this.#rtts.view(), this.#reordered);
  }

  #resolve(o: ProbeOutcome, code: number): void {
    this.#counts.resolved++;
    this.#count(code);
    if (code === OK) {
      const rtt = o.rtt_ms;
      if (rtt !== null && Number.isFinite(rtt)) this.#rtts.add(rtt);
      this.#arrived(o);
    }
    // Extend the settled prefix; its outcomes can no longer change class.
    const outcomes = this.#outcomes;
    const codes = this.#codes;
    let s = this.#settled;
    codes[o.index] = code;
    while (s < outcomes.length && s < codes.length && codes[s] !== UNSEEN) {
      this.#prefix.add(outcomes[s]);
      s++;
    }
    this.#settled = s;
  }

  #arrived(o: ProbeOutcome): void {
    if (this.#recountReordered) return;
    const arrival = arrivalOf(o);
    if (Number.isNaN(arrival)) return;
    const k = o.index;
    if (arrival > this.#lastArrival) {
      this.#maxIndexBefore = Math.max(this.#maxIndexBefore, this.#maxIndexAt);
      this.#maxIndexAt = k;
      this.#lastArrival = arrival;
    } else if (arrival === this.#lastArrival) {
      this.#maxIndexAt = Math.max(this.#maxIndexAt, k);
    } else {
      // Arrived before a reply already counted: recount at the next stats().
      this.#recountReordered = true;
      return;
    }
    // Everything seen so far arrived no later, so nothing seen before changes.
    if (this.#maxIndexBefore > k) this.#reordered++;
  }

  #recount(): void {
    const outcomes = this.#outcomes;
    this.#reordered = countReordered(outcomes);
    let last = -Infinity;
    let before = -1;
    let at = -1;
    for (const o of outcomes) {
      if (o.status !== "ok") continue;
      const arrival = arrivalOf(o);
      if (Number.isNaN(arrival)) continue;
      if (arrival > last) {
        before = Math.max(before, at);
        at = o.index;
        last = arrival;
      } else if (arrival === last) at = Math.max(at, o.index);
      else before = Math.max(before, o.index);
    }
    this.#lastArrival = last;
    this.#maxIndexBefore = before;
    this.#maxIndexAt = at;
    this.#recountReordered = false;
  }

  #count(code: number): void {
    if (code === OK) this.#counts.received++;
    else if (code === LATE) this.#counts.late++;
    else if (code === ERROR) this.#counts.errors++;
  }

  #uncount(code: number): void {
    if (code === OK) this.#counts.received--;
    else if (code === LATE) this.#counts.late--;
    else if (code === ERROR) this.#counts.errors--;
  }

  #ensure(k: number): void {
    if (k < this.#codes.length) return;
    const size = Math.max(2 * this.#codes.length, k + 1);
    const codes = new Uint8Array(size);
    codes.set(this.#codes);
    this.#codes = codes;
  }
}
