// Shared reads of a finished run's stored events: every reader replaying it
// (one SSE connection each) asks for "the chunk after event N"; concurrent
// readers at the same place share one store read, and the chunks used last
// stay here for readers behind. Memory per finished run is
// bounded by `keepChunks` chunks, however many readers there are, and a
// chunk is kept as its encoded SSE frames (framedChunk), not parsed objects.
import type { RunEvent } from "../../model/events.ts";
import { framedChunkFromText } from "./frames.ts";

/**
 * Reads the stored chunk holding event `after + 1` (it may start earlier), as
 * its stored JSON text.
 */
export type ChunkReader = (after: number) => Promise<string>;

/**
 * Chunks kept per finished test: about 10 MiB as frames (48 KiB of bytes and
 * some 200 small objects each). Readers drift apart (each pulls at its client's
 * pace); with 8 chunks, 100 drifting readers of a day-long test read each
 * chunk about 7 times, with 128 about once.
 */
export const DEFAULT_KEEP_CHUNKS = 128;

export class ReplayCache {
  readonly #read: ChunkReader;
  readonly #keep: number;
  /** Chunks, least recently used first. */
  readonly #chunks: RunEvent[][] = [];
  /** Reads in flight, by `after`. */
  readonly #reading = new Map<number, Promise<RunEvent[]>>();
  /** Store reads made (for tests). */
  reads = 0;

  constructor(read: ChunkReader, keepChunks = DEFAULT_KEEP_CHUNKS) {
    this.#read = read;
    this.#keep = keepChunks;
  }

  /** The chunk holding event `after + 1`: from memory, a read in flight, or the store. */
  chunk(after: number): Promise<RunEvent[]> {
    const want = after + 1;
    for (let i = this.#chunks.length - 1; i >= 0; i--) {
      const c = this.#chunks[i];
      if (c[0].id <= want && want <= c[c.length - 1].id) {
        // Least recently used goes first.
        if (i !== this.#chunks.length - 1) {
          this.#chunks.splice(i, 1);
          this.#chunks.push(c);
        }
        return Promise.resolve(c);
      }
    }
    let p = this.#reading.get(after);
    if (!p) {
      this.reads++;
      p = this.#read(after).then((read) => {
        const c = framedChunkFromText(read);
        if (c.length) {
          this.#chunks.push(c);
          if (this.#chunks.length > this.#keep) this.#chunks.shift();
        }
        return c;
      }).finally(() => this.#reading.delete(after));
      this.#reading.set(after, p);
    }
    return p;
  }
}
