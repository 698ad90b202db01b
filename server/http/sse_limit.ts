// At most N open event streams per client (the user when signed in, else the
// address): a slot is taken when a stream starts and given back when it ends,
// however it ends (finished, client gone, server closing).
import type { MiddlewareHandler } from "hono";
import { clientAddress } from "./client_address.ts";
import { principalOf } from "../auth/auth.ts";
import { LimitError } from "../errors.ts";
import { onSseClose } from "./sse_response.ts";

export class StreamSlots {
  readonly #open = new Map<string, number>();

  constructor(readonly max: number) {}

  count(key: string): number {
    return this.#open.get(key) ?? 0;
  }

  /** Takes a slot; returns its release function (idempotent), or null when full. */
  take(key: string): (() => void) | null {
    const n = this.count(key);
    if (n >= this.max) return null;
    this.#open.set(key, n + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const left = this.count(key) - 1;
      if (left > 0) this.#open.set(key, left);
      else this.#open.delete(key);
    };
  }
}

/** Wraps a body so `release` runs when it is read to the end, fails or is cancelled. */
function releasing(
  body: ReadableStream<Uint8Array>,
  release: () => void,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream({
    async pull(ctl) {
      try {
        const { value, done } = await reader.read();
        if (done) {
          release();
          ctl.close();
        } else ctl.enqueue(value);
      } catch (e) {
        release();
        ctl.error(e);
      }
    },
    async cancel(reason) {
      release();
      await reader.cancel(reason);
    },
  });
}

export function streamLimit(slots: StreamSlots): MiddlewareHandler {
  return async (c, next) => {
    const who = principalOf(c);
    const key = who.via === "open"
      ? `addr:${clientAddress(c)}`
      : `user:${who.name}`;
    const release = slots.take(key);
    if (!release) {
      throw new LimitError(
        `at most ${slots.max} open event streams per client (limits.max_sse_per_client); close one first`,
        5,
      );
    }
    try {
      await next();
    } catch (e) {
      release();
      throw e;
    }
    const res = c.res;
    // Errors (404, bad Last-Event-ID) hold no stream.
    const isStream = res.headers.get("content-type")?.startsWith(
      "text/event-stream",
    );
    if (!res.body || !isStream) return release();
    // Our own event streams take the release as a close hook (no second
    // stream per connection); any other stream is wrapped.
    if (!onSseClose(res.body, release)) {
      c.res = new Response(releasing(res.body, release), res);
    }
  };
}
