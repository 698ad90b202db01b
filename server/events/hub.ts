// In-process event hub of one test: an append-only event log with increasing
// ids, replayed to late subscribers, then live events through a bounded buffer.
// Only the newest `keep` events stay in memory; older ones are replayed from
// `backfill` (the store), so a long test does not grow the process.
import type {
  RunEvent,
  RunEventData,
  RunEventType,
} from "../../model/events.ts";

export type HubEventType = RunEventType;

/** An event of the hub: `id` (1, 2, 3, ... in publication order; the SSE `id:`), `type`, `data`. */
export type HubEvent = RunEvent;

export interface SubscribeOptions {
  /** Replay only events with an id above this (a Last-Event-ID); default 0: all. */
  after?: number;
  /** Live events a subscriber may have waiting before it is dropped. */
  maxBuffer?: number;
}

export const DEFAULT_MAX_BUFFER = 10_000;

export interface HubOptions {
  /** Events kept in memory for replay; default: all. Needs `backfill` when finite. */
  keep?: number;
  /**
   * Stored events from id `after + 1` on, in id order (from storage): at least
   * that one event unless there is none (a hole ends the replay), any number
   * more (one stored chunk, say). Events at or below `after` in the result are
   * skipped, so a chunk shared by several readers can be returned as is.
   */
  backfill?: (after: number, upTo: number) => Promise<HubEvent[]>;
  /** Events up to this id exist only in `backfill` (a finished test replayed from storage). */
  startAfter?: number;
}

/** One reader of a hub: replay first, then live events; `null` at the end. */
export class Subscription implements AsyncIterable<HubEvent> {
  #cursor: number;
  readonly #replayEnd: number;
  /** Replayed events older than the hub's window, fetched by backfill. */
  #older: HubEvent[] = [];
  #olderAt = 0;
  readonly #queue: HubEvent[] = [];
  #wake: (() => void) | null = null;
  #sink: ((ev: HubEvent) => void) | null = null;
  #closed = false;
  /** True when it fell more than its buffer behind and was cut off. */
  dropped = false;

  /** @internal */
  constructor(
    readonly hub: TestHub,
    after: number,
    readonly maxBuffer: number,
  ) {
    this.#cursor = Math.max(0, Math.min(after, hub.lastId));
    this.#replayEnd = hub.lastId;
  }

  /**
   * Hands every further live event straight to `sink` as it is published
   * (no queue, no wake-up per event), once the replay is done and nothing is
   * queued; false, and nothing changes, otherwise. The sink decides when the
   * reader is too far behind (and closes this).
   */
  follow(sink: (ev: HubEvent) => void): boolean {
    if (
      this.#closed || this.#cursor < this.#replayEnd || this.#queue.length ||
      this.hub.ended
    ) return false;
    this.#sink = sink;
    return true;
  }

  /** @internal */ push(ev: HubEvent): void {
    if (this.#closed) return;
    if (this.#sink) return this.#sink(ev);
    if (this.#queue.length >= this.maxBuffer) {
      this.dropped = true;
      this.close();
      return;
    }
    this.#queue.push(ev);
    this.#notify();
  }

  /** @internal */ notifyEnd(): void {
    this.#notify();
  }

  #notify(): void {
    const w = this.#wake;
    this.#wake = null;
    w?.();
  }

  /** Live events waiting to be read. */
  get buffered(): number {
    return this.#queue.length;
  }

  /** The next event, or null once the hub ended (and everything was read) or this closed. */
  async next(): Promise<HubEvent | null> {
    for (;;) {
      if (this.#closed) return null;
      if (this.#cursor < this.#replayEnd) {
        if (this.#cursor >= this.hub.firstId - 1) {
          return this.hub.eventAt(this.#cursor++);
        }
        // Skip what was read from memory meanwhile (the window moved on), and
        // the start of a chunk shared with readers that started elsewhere.
        this.#skipOlder();
        if (this.#olderAt >= this.#older.length) {
          this.#older = await this.hub.backfill(
            this.#cursor,
            Math.min(this.hub.firstId - 1, this.#replayEnd),
          );
          this.#olderAt = 0;
          if (this.#closed) return null;
          this.#skipOlder();
        }
        const ev = this.#older[this.#olderAt++];
        // A hole in storage: end the stream rather than skip events silently.
        if (ev?.id !== this.#cursor + 1) {
          this.close();
          return null;
        }
        this.#cursor++;
        return ev;
      }
      const ev = this.#queue.shift();
      if (ev) return ev;
      if (this.hub.ended) return null;
      await new Promise<void>((r) => this.#wake = r);
    }
  }

  /**
   * The next event if it is at hand without waiting or reading storage;
   * undefined when only next() can tell; null once the stream is over.
   */
  poll(): HubEvent | null | undefined {
    if (this.#closed) return null;
    if (this.#cursor < this.#replayEnd) {
      if (this.#cursor >= this.hub.firstId - 1) {
        return this.hub.eventAt(this.#cursor++);
      }
      this.#skipOlder();
      const ev = this.#older[this.#olderAt];
      // Not loaded yet, or a hole: next() loads it or ends the stream.
      if (ev?.id !== this.#cursor + 1) return undefined;
      this.#olderAt++;
      this.#cursor++;
      return ev;
    }
    const ev = this.#queue.shift();
    if (ev) return ev;
    return this.hub.ended ? null : undefined;
  }

  #skipOlder(): void {
    while ((this.#older[this.#olderAt]?.id ?? Infinity) <= this.#cursor) {
      this.#olderAt++;
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#sink = null;
    this.#queue.length = 0;
    this.#older = [];
    this.hub.unsubscribe(this);
    this.#notify();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<HubEvent> {
    try {
      for (let ev = await this.next(); ev; ev = await this.next()) yield ev;
    } finally {
      this.close();
    }
  }
}

export class TestHub {
  #log: HubEvent[] = [];
  /** Id of #log[0]. */
  #first = 1;
  readonly #keep: number;
  readonly #backfill?: HubOptions["backfill"];
  readonly #subs = new Set<Subscription>();
  #ended = false;

  constructor(options: HubOptions = {}) {
    this.#keep = options.backfill ? options.keep ?? Infinity : Infinity;
    this.#backfill = options.backfill;
    if (options.backfill && options.startAfter) {
      this.#first = options.startAfter + 1;
    }
  }

  /** Ends the hub without publishing (its `end` event is already stored). */
  seal(): void {
    this.#ended = true;
    for (const s of this.#subs) s.notifyEnd();
  }

  get lastId(): number {
    return this.#first - 1 + this.#log.length;
  }

  /** Id of the oldest event still in memory. */
  get firstId(): number {
    return this.#first;
  }

  /** Events kept in memory now. */
  get retained(): number {
    return this.#log.length;
  }

  /** @internal */ backfill(after: number, upTo: number): Promise<HubEvent[]> {
    return this.#backfill ? this.#backfill(after, upTo) : Promise.resolve([]);
  }

  /** Keeps only the newest `n` events in memory (with a backfill source). */
  trim(n: number): void {
    if (!this.#backfill) return;
    const drop = this.#log.length - Math.max(0, n);
    if (drop <= 0) return;
    this.#log = this.#log.slice(drop);
    this.#first += drop;
  }

  get ended(): boolean {
    return this.#ended;
  }

  get subscribers(): number {
    return this.#subs.size;
  }

  /** @internal */ eventAt(index: number): HubEvent {
    return this.#log[index - (this.#first - 1)];
  }

  /** Events with an id above `after` that are still in memory. */
  events(after = 0): HubEvent[] {
    return this.#log.slice(Math.max(0, after - (this.#first - 1)));
  }

  /** Appends an event and hands it to every subscriber; an `end` event ends the hub. */
  publish<T extends HubEventType>(type: T, data: RunEventData<T>): HubEvent {
    if (this.#ended) throw new Error("hub has ended");
    // TypeScript cannot correlate a generic T with its union member; the
    // signature above already ties `data` to `type`.
    const ev = { id: this.lastId + 1, type, data } as HubEvent;
    this.#log.push(ev);
    // Trimmed in steps, so publishing stays O(1) amortized.
    if (this.#log.length >= 2 * this.#keep) this.trim(this.#keep);
    for (const s of [...this.#subs]) s.push(ev);
    if (type === "end") {
      this.#ended = true;
      for (const s of this.#subs) s.notifyEnd();
    }
    return ev;
  }

  subscribe(options: SubscribeOptions = {}): Subscription {
    const sub = new Subscription(
      this,
      options.after ?? 0,
      options.maxBuffer ?? DEFAULT_MAX_BUFFER,
    );
    if (!this.#ended) this.#subs.add(sub);
    return sub;
  }

  /** @internal */ unsubscribe(sub: Subscription): void {
    this.#subs.delete(sub);
  }
}
