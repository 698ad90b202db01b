// Replicas on one database say every second that they live (pla_replicas).
// Every replica sweeps too: a replica not seen for `deadAfterMs` is dead, its
// running tests become `interrupted` (their stored logs get status and end)
// and its row goes. Each replica reports the probe rate of the monitors it
// runs, so the global max_pps counts them all.
import type { Sql } from "../store/pg/pg_client.ts";

export interface HeartbeatOptions {
  /** How often this replica says it lives; default 1000 ms. */
  everyMs?: number;
  /** A replica silent this long is dead; default 5000 ms. */
  deadAfterMs?: number;
  /** Probes per second this replica's monitors send now. */
  monitorsPps?: () => number;
  /** Interrupts the running tests of dead replicas; returns how many. */
  interruptOwnedBy: (owners: string[]) => Promise<number>;
}

/** A replica id: the host name and a random tail (two processes on one host differ). */
export function newReplicaId(hostname: string): string {
  const r = crypto.getRandomValues(new Uint8Array(4));
  const tail = [...r].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hostname.replace(/[^A-Za-z0-9.-]/g, "").slice(0, 40)}-${tail}`;
}

export class ReplicaHeartbeat {
  readonly #everyMs: number;
  readonly #deadAfterMs: number;
  #timer: ReturnType<typeof setInterval> | undefined;
  #beating: Promise<void> = Promise.resolve();
  /** Last error of a beat, null when the last one worked (health). */
  lastError: string | null = null;

  constructor(
    readonly sql: Sql,
    readonly id: string,
    readonly options: HeartbeatOptions,
  ) {
    this.#everyMs = options.everyMs ?? 1000;
    this.#deadAfterMs = options.deadAfterMs ?? 5000;
  }

  /** Registers this replica, sweeps once, then beats until stop(). */
  async start(): Promise<void> {
    await this.beat();
    this.#timer = setInterval(() => {
      this.#beating = this.#beating.then(() => this.beat());
    }, this.#everyMs);
  }

  /** One heartbeat and one sweep. */
  async beat(): Promise<void> {
    try {
      const pps = this.options.monitorsPps?.() ?? 0;
      await this.sql`
        insert into pla_replicas (id, seen_at, monitors_pps)
        values (${this.id}, now(), ${pps})
        on conflict (id) do update set seen_at = now(), monitors_pps = ${pps}`;
      await this.sweep();
      this.lastError = null;
    } catch (e) {
      this.lastError = (e as Error).message;
    }
  }

  /** Interrupts the tests of replicas not seen within deadAfterMs; returns how many. */
  async sweep(): Promise<number> {
    const dead = await this.sql<{ id: string }[]>`
      select id from pla_replicas
      where seen_at < now() - make_interval(secs => ${
      this.#deadAfterMs / 1000
    })`;
    // Tests whose owner has no row at all (removed, or never registered) too.
    const orphans = await this.sql<{ owner: string }[]>`
      select distinct owner from pla_tests
      where status = 'running' and owner is not null
        and owner not in (select id from pla_replicas)`;
    const owners = [...dead.map((r) => r.id), ...orphans.map((r) => r.owner)]
      .filter((o) => o !== this.id);
    if (!owners.length) return 0;
    const n = await this.options.interruptOwnedBy(owners);
    const gone = dead.map((r) => r.id).filter((o) => o !== this.id);
    if (gone.length) {
      await this.sql`delete from pla_replicas where id in ${this.sql(gone)}`;
    }
    return n;
  }

  /** Replicas seen within deadAfterMs. */
  async live(): Promise<{ id: string; seen_at: Date }[]> {
    return await this.sql<{ id: string; seen_at: Date }[]>`
      select id, seen_at from pla_replicas
      where seen_at >= now() - make_interval(secs => ${
      this.#deadAfterMs / 1000
    })
      order by id`;
  }

  /** Stops beating and removes this replica's row (a clean shutdown is not a death). */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#beating;
    await this.sql`delete from pla_replicas where id = ${this.id}`.catch(
      () => {},
    );
  }
}
