// Shared reads of a finished run's stored events: every reader replaying it
// (one SSE connection each) asks for "the chunk after event N"; concurrent
// readers at the same place share one store read, and the chunks used last
// stay here for readers behind. Memory is bounded by one ChunkBudget shared by
// every finished run's cache, however many runs and readers there are, and a
// chunk is kept as its encoded SSE frames (framedChunk), not parsed objects.
import type { RunEvent } from "../../model/events.ts";
import { framedChunkFromText } from "./frames.ts";

/**
 * Reads the stored chunk holding event `after + 1` (it may start earlier), as
 * its stored JSON text.
 */
export type ChunkReader = (after: number) => Promise<string>;

/**
 * Chunks kept in all, over every finished test's cache: about 10 MiB as
 * frames (48 KiB of bytes and some 200 small objects each). Readers drift
 * apart (each pulls at its client's pace); with 8 chunks, 100 drifting
 * readers of a day-long test read each chunk about 7 times, with 128 about
 * once.
 */
export const DEFAULT_KEEP_CHUNKS = 128;

/**
 * The chunks every ReplayCache keeps, least recently used first across all of
 * them: past `max`, the oldest is dropped from the cache that holds it, so
 * replays of many different tests cost no more than replays of one.
 */
export class ChunkBudget {
  readonly #lru = new Map<RunEvent[], RunEvent[][]>();

  constructor(readonly max = DEFAULT_KEEP_CHUNKS) {}

  /** Chunks kept now, over every cache. */
  get size(): number {
    return this.#lru.size;
  }

  /** `chunk` (held in `owner`) was just used; drops the least recently used past `max`. */
  touch(chunk: RunEvent[], owner: RunEvent[][]): void {
    this.#lru.delete(chunk);
    this.#lru.set(chunk, owner);
    for (const [old, holder] of this.#lru) {
      if (this.#lru.size <= this.max) break;
      this.#lru.delete(old);
      const i = holder.indexOf(old);
      if (i >= 0) holder.splice(i, 1);
    }
  }
}

export class ReplayCache {
  readonly #read: ChunkReader;
  readonly #budget: ChunkBudget;
  /** Chunks kept (the budget drops them), least recently used first. */
  readonly #chunks: RunEvent[][] = [];
  /** Reads in flight, by `after`. */
  readonly #reading = new Map<number, Promise<RunEvent[]>>();
  /** Store reads made (for tests). */
  reads = 0;

  constructor(read: ChunkReader, budget = new ChunkBudget()) {
    this.#read = read;
    this.#budget = budget;
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
        this.#budget.touch(c, this.#chunks);
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
          this.#budget.touch(c, this.#chunks);
        }
        return c;
      }).finally(() => this.#reading.delete(after));
      this.#reading.set(after, p);
    }
    return p;
  }
}
