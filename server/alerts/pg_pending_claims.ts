// Which replica sends each pending webhook (PendingClaims on PostgreSQL): a
// claim is a row's claimed_by and claimed_until, in database time so the
// replicas' clocks do not matter. Claiming is one `update … returning`: two
// replicas claiming at once never both get a row (the second sees the
// first's claim once its row lock is released).
import type { Sql } from "../store/pg/pg_client.ts";
import type { Pending, PendingClaims } from "./alert_store.ts";

/** How long a claim holds unless renewed, ms. */
export const DEFAULT_CLAIM_MS = 30_000;

export class PgPendingClaims implements PendingClaims {
  constructor(
    readonly sql: Sql,
    /** This replica's name on its claims. */
    readonly owner: string,
    readonly claimMs = DEFAULT_CLAIM_MS,
  ) {}

  /** The end of a claim made now (an SQL fragment). */
  until() {
    return this.sql`clock_timestamp() + make_interval(secs => ${
      this.claimMs / 1000
    }::float8)`;
  }

  /** True where a row may be claimed (or written) by us (an SQL fragment). */
  free() {
    return this.sql`(claimed_by is null or claimed_by = ${this.owner}
      or claimed_until < clock_timestamp())`;
  }

  async claimPending(): Promise<Pending[]> {
    const rows = await this.sql<{ body: Pending }[]>`
      update pla_alert_pending
      set claimed_by = ${this.owner}, claimed_until = ${this.until()}
      where ${this.free()}
      returning event_id, notify, body`;
    return rows.map((r) => r.body).sort((a, b) =>
      a.event.id < b.event.id ? -1 : a.event.id > b.event.id ? 1 : 0
    );
  }

  async holdClaim(
    eventId: string,
    notify: string,
  ): Promise<{ pending: Pending; blocked: boolean } | null> {
    const rows = await this.sql<{ body: Pending; blocked: boolean }[]>`
      update pla_alert_pending p
      set claimed_until = ${this.until()}
      where event_id = ${eventId} and notify = ${notify}
        and claimed_by = ${this.owner}
      returning body, exists (
        select 1 from pla_alert_pending q
        where q.notify = p.notify and q.event_id < p.event_id
          and q.body->'event'->>'monitor' = p.body->'event'->>'monitor'
          and q.body->'event'->>'alert' = p.body->'event'->>'alert'
      ) as blocked`;
    return rows.length
      ? { pending: rows[0].body, blocked: rows[0].blocked }
      : null;
  }

  async releaseClaims(): Promise<void> {
    await this.sql`
      update pla_alert_pending set claimed_by = null, claimed_until = null
      where claimed_by = ${this.owner}`;
  }
}
