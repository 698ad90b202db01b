// Failed sign-ins, counted per client address and per user name in a sliding
// window: past `max` failures, sign-in is refused (429) until the oldest expires.
export class LoginLimiter {
  readonly #failures = new Map<string, number[]>();

  constructor(
    readonly max = 5,
    readonly windowMs = 15 * 60_000,
    readonly now: () => number = Date.now,
    readonly maxKeys = 100_000,
  ) {}

  /** Keys (addresses, user names) with recent failures. */
  get size(): number {
    return this.#failures.size;
  }

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
    for (const k of keys) {
      const list = [...this.#recent(k), this.now()];
      this.#failures.delete(k); // re-inserted last: the newest key
      // Bounded memory: the keys that failed longest ago go first (Map order).
      while (this.#failures.size >= this.maxKeys) {
        this.#failures.delete(this.#failures.keys().next().value!);
      }
      this.#failures.set(k, list);
    }
  }

  succeed(keys: string[]): void {
    for (const k of keys) this.#failures.delete(k);
  }
}
