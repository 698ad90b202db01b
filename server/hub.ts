// In-process event hub of one test: an append-only event log with increasing
// ids, replayed to late subscribers, then live events through a bounded buffer.
export type HubEventType = "probe" | "interval" | "status" | "summary" | "end";

export interface HubEvent {
  /** 1, 2, 3, ... in publication order; the SSE `id:`. */
  id: number;
  type: HubEventType;
  data: unknown;
}

export interface SubscribeOptions {
  /** Replay only events with an id above this (a Last-Event-ID); default 0: all. */
  after?: number;
  /** Live events a subscriber may have waiting before it is dropped. */
  maxBuffer?: number;
}

export const DEFAULT_MAX_BUFFER = 10_000;

/** One reader of a hub: replay first, then live events; `null` at the end. */
export class Subscription implements AsyncIterable<HubEvent> {
  #cursor: number;
  readonly #replayEnd: number;
  readonly #queue: HubEvent[] = [];
  #wake: (() => void) | null = null;
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

  /** @internal */ push(ev: HubEvent): void {
    if (this.#closed) return;
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
        return this.hub.eventAt(this.#cursor++);
      }
      const ev = this.#queue.shift();
      if (ev) return ev;
      if (this.hub.ended) return null;
      await new Promise<void>((r) => this.#wake = r);
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue.length = 0;
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
  readonly #log: HubEvent[] = [];
  readonly #subs = new Set<Subscription>();
  #ended = false;

  get lastId(): number {
    return this.#log.length;
  }

  get ended(): boolean {
    return this.#ended;
  }

  get subscribers(): number {
    return this.#subs.size;
  }

  /** @internal */ eventAt(index: number): HubEvent {
    return this.#log[index];
  }

  /** Events with an id above `after`, from the log. */
  events(after = 0): HubEvent[] {
    return this.#log.slice(Math.max(0, after));
  }

  /** Appends an event and hands it to every subscriber; an `end` event ends the hub. */
  publish(type: HubEventType, data: unknown): HubEvent {
    if (this.#ended) throw new Error("hub has ended");
    const ev = { id: this.#log.length + 1, type, data };
    this.#log.push(ev);
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
