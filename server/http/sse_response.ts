// A test's event stream as a text/event-stream Response. Each event is
// serialized once, however many clients read it (1,000 clients of one test
// share one encoded frame), and the stream pulls from the subscription only
// as fast as the client reads.
//
// Memory per connection is what bench 4 (fan-out) measures against a bare
// Deno.serve stream, so a connection holds as little as it can: one
// SseSource object (methods on the prototype, no per-connection closures),
// its Subscription, and no timer of its own: one heartbeat ticker per period
// serves every open stream. Close hooks (metrics, the per-client stream slot
// of sse_limit.ts) are kept on the source instead of wrapping the body in a
// second stream. The rest of the gap to the floor was V8's young generation
// growing with the delivery rate; the start task caps it (BENCHMARKS.md, 4).
import type { HubEvent, Subscription } from "../events/hub.ts";
import { joinFrames, sseFrame } from "../events/frames.ts";

const HEARTBEAT = new TextEncoder().encode(": heartbeat\n\n");
/** Frames already at hand are sent together up to this many bytes. */
const BATCH_BYTES = 64 * 1024;

// The shared frame cache (each event serialized once for all readers) lives
// with the hub's replay chunks in server/events/frames.ts.
export { sseFrame };

export interface SseOptions {
  /** false drops `probe` events. */
  probes: boolean;
  /** Period of the heartbeat comments. */
  heartbeatMs: number;
  /** Runs once when the stream ends, however it ends. */
  onClose?: () => void;
}

/** One timer per heartbeat period for every open stream. */
const tickers = new Map<
  number,
  { streams: Set<SseSource>; timer: ReturnType<typeof setInterval> }
>();

function startHeartbeat(source: SseSource, ms: number): void {
  let t = tickers.get(ms);
  if (!t) {
    const streams = new Set<SseSource>();
    const timer = setInterval(() => {
      for (const s of streams) s.heartbeat();
    }, ms);
    // Heartbeats alone must not keep the process alive.
    Deno.unrefTimer(timer);
    tickers.set(ms, t = { streams, timer });
  }
  t.streams.add(source);
}

function stopHeartbeat(source: SseSource, ms: number): void {
  const t = tickers.get(ms);
  if (!t) return;
  t.streams.delete(source);
  if (t.streams.size === 0) {
    clearInterval(t.timer);
    tickers.delete(ms);
  }
}

/** Frames that may share a chunk: views of one buffer, or frames of their own. */
function sameKind(a: Uint8Array, b: Uint8Array): boolean {
  const own = (f: Uint8Array) => f.byteLength === f.buffer.byteLength;
  return own(a) ? own(b) : a.buffer === b.buffer;
}

class SseSource implements UnderlyingDefaultSource<Uint8Array> {
  controller: ReadableStreamDefaultController<Uint8Array> | null = null;
  closed = false;
  hooks: (() => void)[] = [];
  /** An event taken from the subscription but left for the next chunk. */
  held: HubEvent | null = null;
  /** Caught up with a live hub: it pushes events to `live`. */
  following = false;

  constructor(readonly sub: Subscription, readonly options: SseOptions) {
    if (options.onClose) this.hooks.push(options.onClose);
  }

  start(controller: ReadableStreamDefaultController<Uint8Array>): void {
    this.controller = controller;
    startHeartbeat(this, this.options.heartbeatMs);
  }

  heartbeat(): void {
    try {
      this.controller?.enqueue(HEARTBEAT);
    } catch {
      this.stop();
    }
  }

  /**
   * Enqueues the next event, and with it every further one already at hand
   * (a replay, a burst) up to BATCH_BYTES in one chunk: a replay of 86,400
   * events is then a few thousand writes, not 86,400. Frames of a replay
   * chunk are adjacent views of one buffer, so such a batch is one view of it
   * (no copy); a batch never mixes those with frames of their own (which are
   * copied together), so a replay copies nothing per client.
   */
  pull(controller: ReadableStreamDefaultController<Uint8Array>) {
    // Following live: events are enqueued as they are published (live()).
    if (this.following) return;
    return this.#pull(controller);
  }

  async #pull(controller: ReadableStreamDefaultController<Uint8Array>) {
    const { sub, options } = this;
    const batch: Uint8Array[] = [];
    let size = 0;
    let ended = false;
    while (!ended && batch.length === 0) {
      let ev = this.held ?? sub.poll();
      this.held = null;
      if (ev === undefined) {
        // Caught up with a live test: from now on the hub pushes each event
        // (one enqueue per event and client; no promise or wake-up each).
        if (sub.follow(this.live)) {
          this.following = true;
          return;
        }
        ev = await sub.next();
      }
      while (ev) {
        if (options.probes || ev.type !== "probe") {
          const frame = sseFrame(ev);
          if (batch.length && !sameKind(batch[batch.length - 1], frame)) {
            this.held = ev;
            break;
          }
          batch.push(frame);
          size += frame.length;
        }
        ev = size < BATCH_BYTES ? sub.poll() : undefined;
      }
      if (ev === null) ended = true;
    }
    if (batch.length === 1) controller.enqueue(batch[0]);
    else if (batch.length > 1) controller.enqueue(joinFrames(batch, size));
    if (!ended) return;
    this.stop();
    try {
      controller.close();
    } catch {
      // the client left first
    }
  }

  /** A live event, pushed by the hub (bound once per stream). */
  readonly live = (ev: HubEvent): void => {
    const c = this.controller;
    if (!c) return;
    if (this.options.probes || ev.type !== "probe") c.enqueue(sseFrame(ev));
    if (ev.type === "end") return this.#end(c);
    // Far behind: end the stream; the client resumes with Last-Event-ID.
    if ((c.desiredSize ?? 0) < -this.sub.maxBuffer) {
      this.sub.dropped = true;
      this.#end(c);
    }
  };

  #end(c: ReadableStreamDefaultController<Uint8Array>): void {
    this.stop();
    try {
      c.close();
    } catch {
      // the client left first
    }
  }

  cancel(): void {
    this.stop();
  }

  stop(): void {
    if (this.closed) return;
    this.closed = true;
    stopHeartbeat(this, this.options.heartbeatMs);
    this.sub.close();
    this.controller = null;
    this.held = null;
    for (const h of this.hooks) h();
    this.hooks = [];
  }
}

/** The source of each event-stream body made here, for close hooks. */
const sources = new WeakMap<ReadableStream<Uint8Array>, SseSource>();

/**
 * Runs `hook` once when the event stream `body` ends, however it ends; false
 * when `body` is not one made by sseResponse (the caller then wraps it).
 */
export function onSseClose(
  body: ReadableStream<Uint8Array>,
  hook: () => void,
): boolean {
  const source = sources.get(body);
  if (!source) return false;
  if (source.closed) hook();
  else source.hooks.push(hook);
  return true;
}

/** Streams the subscription's events until the hub ends or the client leaves. */
export function sseResponse(sub: Subscription, options: SseOptions): Response {
  const source = new SseSource(sub, options);
  const body = new ReadableStream<Uint8Array>(source);
  sources.set(body, source);
  return new Response(body, {
    headers: {
      "content-type": "text/event-stream",
      "cache-control": "no-cache",
    },
  });
}
