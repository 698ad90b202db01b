// Failed sign-ins, counted per client address and per user name in a sliding
// window: past `max` failures, sign-in is refused (429) until the oldest expires.
export class LoginLimiter {
  readonly #failures = new Map<string, number[]>();

  constructor(
    readonly max = 5,
    readonly windowMs = 15 * 60_000,
    readonly now: () => number = Date.now,
  ) {}

  #recent(key: string): number[] {
    const t = this.now();
    const list = (this.#failures.get(key) ?? []).filter((at) =>
      at > t - this.windowMs
    );
    if (list.length) this.#failures.set(key, list);
    else this.#failures.delete(key);
    return list;
  }

  /** Seconds until a sign-in for these keys may be tried again; 0: now. */
  retryAfter(keys: string[]): number {
    let wait = 0;
    for (const k of keys) {
      const list = this.#recent(k);
      if (list.length >= this.max) {
        const ms = list[list.length - this.max] + this.windowMs - this.now();
        wait = Math.max(wait, Math.ceil(ms / 1000));
      }
    }
    return wait;
  }

  fail(keys: string[]): void {
    // Bounded: an attacker cycling keys cannot grow the map without limit.
    if (this.#failures.size > 100_000) this.#failures.clear();
    for (const k of keys) {
      this.#failures.set(k, [...this.#recent(k), this.now()]);
    }
  }

  succeed(keys: string[]): void {
    for (const k of keys) this.#failures.delete(k);
  }
}
