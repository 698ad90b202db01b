// The audit trail in PostgreSQL (pla_audit), with the KV trail's keys and
// cursors: the key sorts by time, a page is a reverse range read of the
// primary key, and the cursor is the last key seen.
import {
  type AuditEntry,
  auditEntry,
  type AuditInput,
  AuditKeys,
  type AuditPage,
  type AuditStore,
  checkAuditCursor,
} from "../audit_store.ts";
import type { Sql } from "./pg_client.ts";

export class PgAuditLog implements AuditStore {
  readonly #keys = new AuditKeys();

  constructor(readonly sql: Sql) {}

  async record(entry: AuditInput): Promise<AuditEntry> {
    const { full, now } = auditEntry(entry);
    await this.insert(this.#keys.next(now), full);
    return full;
  }

  /** Stores an entry under a given key (copies from KV keep theirs); an existing key is kept. */
  async insert(key: string, entry: AuditEntry): Promise<boolean> {
    const rows = await this.sql`
      insert into pla_audit (key, at, entry)
      values (${key}, ${entry.at}, ${JSON.stringify(entry)}::text::json)
      on conflict do nothing returning key`;
    return rows.length > 0;
  }

  async list(limit: number, cursor?: string): Promise<AuditPage> {
    checkAuditCursor(cursor);
    const before = cursor ? this.sql`where key < ${cursor}` : this.sql``;
    // One more than the page: whether something older exists.
    const rows = await this.sql<{ key: string; entry: string }[]>`
      select key, entry::text from pla_audit ${before}
      order by key desc limit ${limit + 1}`;
    const page = rows.slice(0, limit);
    return {
      entries: page.map((r) => JSON.parse(r.entry)),
      next_cursor: rows.length > limit && page.length ? page.at(-1)!.key : null,
    };
  }
}
