// The alerts in PostgreSQL (AlertStore on the shared database; tables in
// migrations/002_monitors.ts). An event, its rule's state and its pending
// webhooks are written in one transaction; an attempt and its pending
// notification's next state likewise. Events list newest first by id (ids
// sort by time), a page a range read of an index. Replicas share the pending
// webhooks through claims (pg_pending_claims.ts): the ones a store writes are
// claimed by it, so the replica that queued a webhook sends it.
import type { AlertEvent, DeliveryRecord } from "../../model/monitor.ts";
import type { Sql } from "../store/pg/pg_client.ts";
import type { RuleState } from "./alert_evaluator.ts";
import {
  AlertIdClock,
  type AlertPage,
  type AlertQuery,
  type AlertStore,
  checkCursor,
  type Pending,
} from "./alert_store.ts";
import { PgPendingClaims } from "./pg_pending_claims.ts";

export interface PgAlertStoreOptions {
  /** This replica's name on its claims; default a random UUID. */
  owner?: string;
  /** How long a claim holds unless renewed, ms; default 30 s. */
  claimMs?: number;
}

// deno-lint-ignore no-explicit-any
const json = (sql: Sql, v: unknown) => sql.json(v as any);

export class PgAlertStore implements AlertStore {
  readonly #ids = new AlertIdClock();
  readonly claims: PgPendingClaims;

  constructor(readonly sql: Sql, o: PgAlertStoreOptions = {}) {
    this.claims = new PgPendingClaims(
      sql,
      o.owner ?? crypto.randomUUID(),
      o.claimMs,
    );
  }

  newId(ms: number): string {
    return this.#ids.next(ms);
  }

  async states(monitor?: string): Promise<
    { monitor: string; rule: string; state: RuleState }[]
  > {
    const sql = this.sql;
    const rows = await sql<
      { monitor: string; rule: string; state: RuleState }[]
    >`select monitor, rule, state from pla_alert_states
      where ${monitor === undefined ? sql`true` : sql`monitor = ${monitor}`}
      order by monitor, rule`;
    return rows.map(({ monitor, rule, state }) => ({ monitor, rule, state }));
  }

  async putState(monitor: string, rule: string, s: RuleState): Promise<void> {
    await this.sql`
      insert into pla_alert_states (monitor, rule, state)
      values (${monitor}, ${rule}, ${json(this.sql, s)})
      on conflict (monitor, rule) do update set state = excluded.state`;
  }

  async deleteState(monitor: string, rule: string): Promise<void> {
    await this.sql`
      delete from pla_alert_states where monitor = ${monitor} and rule = ${rule}`;
  }

  async putEvent(
    monitor: string,
    rule: string,
    s: RuleState,
    ev: AlertEvent,
    pending: Pending[],
  ): Promise<void> {
    await this.sql.begin(async (tx) => {
      await tx`
        insert into pla_alert_states (monitor, rule, state)
        values (${monitor}, ${rule}, ${json(this.sql, s)})
        on conflict (monitor, rule) do update set state = excluded.state`;
      await tx`
        insert into pla_alert_events (id, monitor, state, body)
        values (${ev.id}, ${ev.monitor}, ${ev.state}, ${json(this.sql, ev)})
        on conflict (id) do update set monitor = excluded.monitor,
          state = excluded.state, body = excluded.body`;
      for (const p of pending) {
        await tx`
          insert into pla_alert_pending
            (event_id, notify, body, claimed_by, claimed_until)
          values (${ev.id}, ${p.notify.id}, ${json(this.sql, p)},
            ${this.claims.owner}, ${this.claims.until()})
          on conflict (event_id, notify) do update set body = excluded.body,
            claimed_by = excluded.claimed_by,
            claimed_until = excluded.claimed_until`;
      }
    });
  }

  async event(id: string): Promise<AlertEvent | null> {
    const rows = await this.sql<{ body: AlertEvent }[]>`
      select body from pla_alert_events where id = ${id}`;
    return rows.length ? rows[0].body : null;
  }

  async list(q: AlertQuery): Promise<AlertPage> {
    checkCursor(q.cursor);
    const sql = this.sql;
    const where = [
      q.monitor === undefined ? sql`true` : sql`monitor = ${q.monitor}`,
      q.state === undefined ? sql`true` : sql`state = ${q.state}`,
      q.cursor === undefined ? sql`true` : sql`id < ${q.cursor}`,
    ];
    const rows = await sql<{ id: string; body: AlertEvent }[]>`
      select id, body from pla_alert_events
      where ${where[0]} and ${where[1]} and ${where[2]}
      order by id desc limit ${q.limit + 1}`;
    const more = rows.length > q.limit;
    const page = rows.slice(0, q.limit);
    return {
      alerts: page.map((r) => r.body),
      next_cursor: more && page.length ? page[page.length - 1].id : null,
    };
  }

  async pending(): Promise<Pending[]> {
    const rows = await this.sql<{ body: Pending }[]>`
      select body from pla_alert_pending order by event_id, notify`;
    return rows.map((r) => r.body);
  }

  async recordAttempt(
    rec: DeliveryRecord,
    next: Pending | null,
  ): Promise<void> {
    await this.sql.begin(async (tx) => {
      await tx`
        insert into pla_alert_deliveries (event_id, notify, attempt, body)
        values (${rec.alert_event}, ${rec.notify}, ${rec.attempt},
          ${json(this.sql, rec)})
        on conflict (event_id, notify, attempt)
        do update set body = excluded.body`;
      if (next) {
        // Not over a live claim of another replica (ours expired and it took
        // the notification over: its attempts count from there).
        await tx`
          update pla_alert_pending set body = ${json(this.sql, next)}
          where event_id = ${rec.alert_event} and notify = ${rec.notify}
            and ${this.claims.free()}`;
      } else {
        await tx`
          delete from pla_alert_pending
          where event_id = ${rec.alert_event} and notify = ${rec.notify}`;
      }
    });
  }

  async deliveries(eventId: string): Promise<DeliveryRecord[]> {
    const rows = await this.sql<{ body: DeliveryRecord }[]>`
      select body from pla_alert_deliveries where event_id = ${eventId}
      order by notify, attempt`;
    return rows.map((r) => r.body);
  }
}
