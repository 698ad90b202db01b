// Shared reads of a finished run's stored events: every reader replaying it
// (one SSE connection each) asks for "the chunk after event N"; concurrent
// readers at the same place share one store read, and the few chunks read
// last stay here for readers a little behind. Memory per finished run is
// bounded by `keepChunks` chunks, however many readers there are, and a
// chunk is kept as its encoded SSE frames (framedChunk), not parsed objects.
import type { RunEvent } from "../../model/events.ts";
import { framedChunk } from "./frames.ts";

/** Reads the stored chunk holding event `after + 1` (it may start earlier). */
export type ChunkReader = (after: number) => Promise<RunEvent[]>;

export class ReplayCache {
  readonly #read: ChunkReader;
  readonly #keep: number;
  /** Chunks read last, oldest first. */
  readonly #chunks: RunEvent[][] = [];
  /** Reads in flight, by `after`. */
  readonly #reading = new Map<number, Promise<RunEvent[]>>();
  /** Store reads made (for tests). */
  reads = 0;

  constructor(read: ChunkReader, keepChunks = 8) {
    this.#read = read;
    this.#keep = keepChunks;
  }

  /** The chunk holding event `after + 1`: from memory, a read in flight, or the store. */
  chunk(after: number): Promise<RunEvent[]> {
    const want = after + 1;
    for (const c of this.#chunks) {
      if (c.length && c[0].id <= want && want <= c[c.length - 1].id) {
        return Promise.resolve(c);
      }
    }
    let p = this.#reading.get(after);
    if (!p) {
      this.reads++;
      p = this.#read(after).then((read) => {
        const c = framedChunk(read);
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
