// Sign-in sessions in PostgreSQL (pla_sessions), so a session is valid on
// every replica. Rows are keyed by the SHA-256 of the session id (a copy of
// the database signs nobody in); expired rows are ignored, and deleted when
// the next session is created, which also keeps at most `max` sessions (the
// oldest go first, as in memory).
import type { Principal, SessionStore } from "../../auth/session_store.ts";
import { newSessionId, sha256Hex } from "../../auth/password.ts";
import type { Sql } from "./pg_client.ts";

export class PgSessionStore implements SessionStore {
  constructor(
    readonly sql: Sql,
    readonly lifetimeMs: number,
    readonly max = 10_000,
    readonly now: () => number = Date.now,
  ) {}

  async create(principal: Principal): Promise<string> {
    const t = this.now();
    const id = newSessionId();
    const who = JSON.stringify({ ...principal, via: "session" });
    await this.sql.begin(async (tx) => {
      await tx`delete from pla_sessions where expires_at <= ${t}`;
      // Every session lasts as long: the soonest to expire are the oldest.
      await tx`delete from pla_sessions where id in (
        select id from pla_sessions order by expires_at desc
        offset ${this.max - 1})`;
      await tx`insert into pla_sessions (id, principal, expires_at)
        values (${await sha256Hex(id)}, ${who}::text::json,
          ${t + this.lifetimeMs})`;
    });
    return id;
  }

  async get(id: string): Promise<Principal | null> {
    const [row] = await this.sql<{ principal: string }[]>`
      select principal::text from pla_sessions
      where id = ${await sha256Hex(id)} and expires_at > ${this.now()}`;
    return row ? JSON.parse(row.principal) : null;
  }

  async delete(id: string): Promise<void> {
    await this.sql`delete from pla_sessions where id = ${await sha256Hex(id)}`;
  }
}
