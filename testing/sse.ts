// The one Server-Sent Events reader of the tests and benchmarks, on
// eventsource-parser (npm): the stream as the service sends it (integer
// `id:`, `event:`, one JSON `data:` line, heartbeat comments).
import { createParser } from "eventsource-parser";

/** One event as sent: `data` is the raw text (JSON for this service). */
export interface SseMessage {
  id: number;
  event: string;
  data: string;
}

/** An incremental parser: `feed` text as it arrives, get the events it completed. */
export class SseParser {
  /** Comment lines seen so far (heartbeats). */
  comments = 0;
  #done: SseMessage[] = [];
  readonly #parser = createParser({
    onEvent: (e) =>
      this.#done.push({
        id: e.id === undefined ? NaN : Number(e.id),
        event: e.event ?? "message",
        data: e.data,
      }),
    onComment: () => this.comments++,
  });

  feed(text: string): SseMessage[] {
    this.#parser.feed(text);
    const out = this.#done;
    this.#done = [];
    return out;
  }
}

/** A whole stream's text: its events and how many comment lines it had. */
export function parseSseText(
  text: string,
): { events: SseMessage[]; comments: number } {
  const p = new SseParser();
  const events = p.feed(text);
  return { events, comments: p.comments };
}

/** The events of a whole stream with their data parsed as JSON. */
export const parseSseJson = (text: string) =>
  parseSseText(text).events.map((e) => ({ ...e, data: JSON.parse(e.data) }));

/**
 * Reads a response body to its end; `onChunk` gets the complete events of
 * each network chunk together (they arrived at once), and may return true to
 * stop reading (the body is then cancelled).
 */
export async function readSseChunks(
  body: ReadableStream<Uint8Array<ArrayBuffer>>,
  onChunk: (events: SseMessage[]) => boolean | void,
): Promise<void> {
  const parser = new SseParser();
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      const events = parser.feed(value);
      if (events.length && onChunk(events) === true) return;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}

/**
 * GETs `url` as text/event-stream and reads it until the server ends it.
 * `onConnected` runs when the response headers are in; `onChunk` gets the
 * complete events of every chunk read.
 */
export async function readSse(
  url: string,
  onChunk: (events: SseMessage[]) => boolean | void,
  onConnected?: () => void,
  init?: RequestInit,
): Promise<void> {
  const res = await fetch(url, init);
  if (res.status !== 200 || !res.body) {
    await res.body?.cancel();
    throw new Error(`GET ${url}: ${res.status}`);
  }
  onConnected?.();
  await readSseChunks(res.body, onChunk);
}
