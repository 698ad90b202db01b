// Reverse DNS names for hop addresses: each address looked up once, in the
// background, through the system resolver (getnameinfo: /etc/hosts, then DNS),
// with a short timeout. Probing never waits for a name: `name()` answers from
// what is known now, null until the lookup succeeded. A broken resolver costs
// at most MAX_IN_FLIGHT pending lookups; further addresses wait their turn.
import type { LookupServiceFn } from "./lookup_service.ts";

export const LOOKUP_TIMEOUT_MS = 2000;
const MAX_IN_FLIGHT = 4;

export class ReverseNames {
  /** Address -> name; null: looked up, no name (or timed out). */
  readonly #names = new Map<string, string | null>();
  readonly #queue: string[] = [];
  readonly #queued = new Set<string>();
  #inFlight = 0;
  #closed = false;

  constructor(
    readonly lookup: LookupServiceFn,
    readonly timeoutMs = LOOKUP_TIMEOUT_MS,
    /** Called when a name becomes known. */
    readonly onName?: (address: string, name: string) => void,
  ) {}

  /** The name known now (null if none yet); starts its lookup the first time. */
  name(address: string): string | null {
    const known = this.#names.get(address);
    if (known !== undefined) return known;
    if (!this.#queued.has(address) && !this.#closed) {
      this.#queued.add(address);
      this.#queue.push(address);
      this.#pump();
    }
    return null;
  }

  /** Stops starting lookups (those in flight end by their timeout). */
  close(): void {
    this.#closed = true;
    this.#queue.length = 0;
  }

  #pump(): void {
    while (this.#inFlight < MAX_IN_FLIGHT && this.#queue.length > 0) {
      const address = this.#queue.shift()!;
      this.#inFlight++;
      this.#resolve(address).finally(() => {
        this.#inFlight--;
        if (!this.#closed) this.#pump();
      });
    }
  }

  async #resolve(address: string): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), this.timeoutMs);
    });
    let name: string | null = null;
    try {
      name = await Promise.race([this.lookup(address), timeout]);
    } catch {
      name = null; // no name: shown as the address
    } finally {
      clearTimeout(timer);
    }
    // getnameinfo answers the address itself when there is no name.
    if (name === address || name === "") name = null;
    this.#names.set(address, name);
    this.#queued.delete(address);
    if (name !== null) this.onName?.(address, name);
  }
}
