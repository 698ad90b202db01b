// Live events of a test that runs on another replica: a hub fed from the
// shared store. The running replica's store notifies `pla_events` with
// "<test>:<last id>" in the transaction that writes the rows; the follower
// reads the rows after what its hub has and publishes them with the same ids.
// The notification carries no events, so one that is missed loses nothing: a
// slow poll reads whatever a notification would have announced.
import { TestHub } from "../events/hub.ts";
import type { RunStore } from "../store/run_store.ts";
import type { Sql } from "../store/pg/pg_client.ts";
import { EVENTS_CHANNEL } from "../store/pg/pg_interrupt.ts";

interface Followed {
  hub: TestHub;
  reading: boolean;
  again: boolean;
  /** Since when no reader is subscribed (ms), for letting go of idle followers. */
  idleSince: number | null;
}

export interface FollowerOptions {
  /** How often every followed test is read without a notification; default 1000 ms. */
  pollMs?: number;
  /** A followed test nobody reads for this long is let go; default 60 s. */
  idleMs?: number;
  /** Newest events each follower keeps in memory; default 1000. */
  keep?: number;
}

export class TestFollower {
  readonly #tests = new Map<string, Followed>();
  readonly #pollMs: number;
  readonly #idleMs: number;
  readonly #keep: number;
  #unlisten: (() => Promise<void>) | null = null;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    readonly sql: Sql,
    readonly store: Pick<RunStore, "chunkAfter">,
    options: FollowerOptions = {},
  ) {
    this.#pollMs = options.pollMs ?? 1000;
    this.#idleMs = options.idleMs ?? 60_000;
    this.#keep = options.keep ?? 1000;
  }

  async start(): Promise<void> {
    const { unlisten } = await this.sql.listen(
      EVENTS_CHANNEL,
      (payload) => this.#notified(payload),
    );
    this.#unlisten = unlisten;
    this.#timer = setInterval(() => this.#poll(), this.#pollMs);
  }

  /** Tests followed now. */
  get size(): number {
    return this.#tests.size;
  }

  /**
   * The hub of a test running elsewhere, whose stored log ends at
   * `lastStoredId`: one per test, shared by every reader on this replica.
   */
  follow(id: string, lastStoredId: number): TestHub {
    const known = this.#tests.get(id);
    if (known) return known.hub;
    const hub = new TestHub({
      keep: this.#keep,
      backfill: (after) => this.store.chunkAfter(id, after),
      startAfter: lastStoredId,
    });
    const f: Followed = { hub, reading: false, again: false, idleSince: null };
    this.#tests.set(id, f);
    // Rows written between the caller's read and now.
    void this.#pull(id, f);
    return hub;
  }

  #notified(payload: string): void {
    const at = payload.lastIndexOf(":");
    const id = payload.slice(0, at);
    const last = Number(payload.slice(at + 1));
    const f = this.#tests.get(id);
    if (f && last > f.hub.lastId) void this.#pull(id, f);
  }

  #poll(): void {
    const now = Date.now();
    for (const [id, f] of this.#tests) {
      if (f.hub.subscribers > 0) f.idleSince = null;
      else if (f.idleSince === null) f.idleSince = now;
      else if (now - f.idleSince > this.#idleMs) {
        this.#tests.delete(id);
        continue;
      }
      void this.#pull(id, f);
    }
  }

  /** Reads and publishes every stored event after the hub's last; one reader per test at a time. */
  async #pull(id: string, f: Followed): Promise<void> {
    if (f.reading) {
      f.again = true;
      return;
    }
    f.reading = true;
    try {
      do {
        f.again = false;
        for (;;) {
          const chunk = await this.store.chunkAfter(id, f.hub.lastId);
          let published = 0;
          for (const ev of chunk) {
            // Ids are contiguous per test; a row not next is not ours to publish yet.
            if (ev.id !== f.hub.lastId + 1) continue;
            f.hub.publish(ev.type, ev.data as never);
            published++;
            if (ev.type === "end") {
              this.#tests.delete(id);
              return;
            }
          }
          if (published === 0) break;
        }
      } while (f.again);
    } catch (e) {
      console.error(`following test ${id}:`, (e as Error).message);
    } finally {
      f.reading = false;
    }
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#unlisten?.();
    this.#unlisten = null;
    this.#tests.clear();
  }
}
