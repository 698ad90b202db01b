// A test's event stream as a text/event-stream Response. Each event is
// serialized once, however many clients read it (1,000 clients of one test
// share one encoded frame), and the stream pulls from the subscription only
// as fast as the client reads.
import type { HubEvent, Subscription } from "../events/hub.ts";

const encoder = new TextEncoder();
const frames = new WeakMap<HubEvent, Uint8Array>();
const HEARTBEAT = encoder.encode(": heartbeat\n\n");

/** The SSE frame of an event (`id`, `event`, one `data` line), cached per event. */
export function sseFrame(ev: HubEvent): Uint8Array {
  let frame = frames.get(ev);
  if (!frame) {
    // JSON.stringify escapes line breaks, so the data is always one line.
    frame = encoder.encode(
      `id: ${ev.id}\nevent: ${ev.type}\ndata: ${JSON.stringify(ev.data)}\n\n`,
    );
    frames.set(ev, frame);
  }
  return frame;
}

export interface SseOptions {
  /** false drops `probe` events. */
  probes: boolean;
  /** Period of the heartbeat comments. */
  heartbeatMs: number;
  /** Runs once when the stream ends, however it ends. */
  onClose?: () => void;
}

/** Streams the subscription's events until the hub ends or the client leaves. */
export function sseResponse(sub: Subscription, options: SseOptions): Response {
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  let closed = false;
  const stop = () => {
    clearInterval(heartbeat);
    sub.close();
    if (!closed) options.onClose?.();
    closed = true;
  };
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      heartbeat = setInterval(() => {
        try {
          controller.enqueue(HEARTBEAT);
        } catch {
          stop();
        }
      }, options.heartbeatMs);
    },
    async pull(controller) {
      for (let ev = await sub.next(); ev; ev = await sub.next()) {
        if (!options.probes && ev.type === "probe") continue;
        controller.enqueue(sseFrame(ev));
        return;
      }
      stop();
      try {
        controller.close();
      } catch {
        // the client left first
      }
    },
    cancel: stop,
  });
  return new Response(body, {
    headers: {
      "content-type": "text/event-stream",
      "cache-control": "no-cache",
    },
  });
}
