// Exactly one replica runs each monitor: it holds the monitor's lease
// (pla_leases), renewed well before it expires. A replica that dies stops
// renewing; once the lease expires another replica takes it.
import type { Sql } from "../store/pg/pg_client.ts";

export class LeaseKeeper {
  constructor(
    readonly sql: Sql,
    readonly holder: string,
    /** How long a lease lasts unless renewed; default 10 s. */
    readonly ttlMs = 10_000,
  ) {}

  /** Takes or renews the lease; true when this replica holds it now. */
  async hold(name: string): Promise<boolean> {
    const secs = this.ttlMs / 1000;
    const rows = await this.sql<{ holder: string }[]>`
      insert into pla_leases (name, holder, expires_at)
      values (${name}, ${this.holder}, now() + make_interval(secs => ${secs}))
      on conflict (name) do update
        set holder = excluded.holder, expires_at = excluded.expires_at
        where pla_leases.holder = excluded.holder
           or pla_leases.expires_at < now()
      returning holder`;
    return rows.length === 1;
  }

  /** Gives the lease up (a clean stop: another replica may take it at once). */
  async release(name: string): Promise<void> {
    await this.sql`
      delete from pla_leases where name = ${name} and holder = ${this.holder}`;
  }

  /** Every lease this replica holds, given up. */
  async releaseAll(): Promise<void> {
    await this.sql`delete from pla_leases where holder = ${this.holder}`;
  }

  /** Who holds each unexpired lease. */
  async holders(): Promise<Map<string, string>> {
    const rows = await this.sql<{ name: string; holder: string }[]>`
      select name, holder from pla_leases where expires_at >= now()`;
    return new Map(rows.map((r) => [r.name, r.holder]));
  }
}
