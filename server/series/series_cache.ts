// Probe indexes of finished tests, least recently used first out once their
// bytes pass the budget. A build in progress is shared by every request that
// asks meanwhile (a page opening four charts reads the log once).
import type { ProbeIndex } from "./probe_index.ts";

/** Default budget: about 14 day-long tests at 1 probe/s, or one at 80/s. */
export const DEFAULT_CACHE_BYTES = 256 * 1024 * 1024;

export class SeriesCache {
  readonly #done = new Map<string, ProbeIndex>();
  readonly #building = new Map<string, Promise<ProbeIndex>>();
  #bytes = 0;
  /** Builds made (tests assert that a second open reads nothing). */
  builds = 0;

  constructor(readonly maxBytes = DEFAULT_CACHE_BYTES) {}

  get bytes(): number {
    return this.#bytes;
  }

  has(id: string): boolean {
    return this.#done.has(id);
  }

  /** The cached index of `id`, else `build()`'s (cached when it fits). */
  get(id: string, build: () => Promise<ProbeIndex>): Promise<ProbeIndex> {
    const hit = this.#done.get(id);
    if (hit) {
      // Most recently used goes last.
      this.#done.delete(id);
      this.#done.set(id, hit);
      return Promise.resolve(hit);
    }
    let pending = this.#building.get(id);
    if (!pending) {
      this.builds++;
      pending = build().then((index) => {
        this.#add(id, index);
        return index;
      }).finally(() => this.#building.delete(id));
      this.#building.set(id, pending);
    }
    return pending;
  }

  delete(id: string): void {
    const gone = this.#done.get(id);
    if (!gone) return;
    this.#done.delete(id);
    this.#bytes -= gone.bytes;
  }

  #add(id: string, index: ProbeIndex): void {
    if (index.bytes > this.maxBytes) return;
    this.delete(id);
    this.#done.set(id, index);
    this.#bytes += index.bytes;
    for (const [old, i] of this.#done) {
      if (this.#bytes <= this.maxBytes) break;
      this.#done.delete(old);
      this.#bytes -= i.bytes;
    }
  }
}
