// The clock the engine's sends are scheduled on: the real clock
// (performance.now()) less how far the schedule has fallen behind. When a
// pass finds a send overdue by more than `lateMs` (the loop woke late: a
// blocked event loop, a busy core, a slow first pass), the clock is set back
// to `lateMs` past that send: the pass sends only what the schedule holds in
// those few ms, and everything after it moves later by the same amount,
// instead of going out at once. Targets keep their stagger and each target
// its interval; a loop that cannot keep up makes the run longer, never a
// burst (like fping, which never sends faster than asked).

export class ScheduleClock {
  #behind = 0;

  constructor(readonly lateMs: number) {}

  /** How far the schedule has fallen behind the real clock, ms. */
  get behind(): number {
    return this.#behind;
  }

  /** Schedule time at real time `t`. */
  at(t: number): number {
    return t - this.#behind;
  }

  /**
   * The real time at which the clock reaches schedule time `x`, unless it is
   * set back before then (which only makes that later).
   */
  realOf(x: number): number {
    return x + this.#behind;
  }

  /**
   * Schedule time at real time `now` for a pass whose earliest due send is
   * at schedule time `earliest`: when that is more than `lateMs` overdue the
   * clock is first set back to `earliest + lateMs`.
   */
  pace(now: number, earliest: number): number {
    const late = this.at(now) - earliest;
    if (late > this.lateMs) this.#behind += late - this.lateMs;
    return this.at(now);
  }
}
