// What path analysis keeps per hop beyond ping mode's statistics: every
// address that answered (ECMP, route changes) with its count, the latest RTT,
// and the address of the latest answer in send order (to see it change).

export class HopState {
  /** Address -> "ok" answers from it. */
  readonly addresses = new Map<string, number>();
  /** RTT of the answer to the latest probe (in send order) answered so far. */
  lastRtt: number | null = null;
  #current: string | null = null;
  #currentIndex = -1;

  count(address: string): void {
    this.addresses.set(address, (this.addresses.get(address) ?? 0) + 1);
  }

  /**
   * Notes the answer to probe `index`. Returns the previous answering
   * address when this one differs (a route change), else undefined. Answers
   * that come out of send order only update the counts, never the "current"
   * address, so reordering is not mistaken for a change.
   */
  answer(
    index: number,
    address: string,
    rttMs: number | null,
  ): string | undefined {
    if (index <= this.#currentIndex) return undefined;
    this.#currentIndex = index;
    this.lastRtt = rttMs;
    const previous = this.#current;
    this.#current = address;
    return previous !== null && previous !== address ? previous : undefined;
  }

  /** Addresses by answers, most first (ties: first seen first). */
  ranked(): [string, number][] {
    return [...this.addresses].sort((a, b) => b[1] - a[1]);
  }
}
