// Audit trail in Deno KV: keys ["audit", <time-sortable key>] so a reverse
// list is newest first (records and keys: audit_store.ts).
import {
  type AuditEntry,
  auditEntry,
  type AuditInput,
  AuditKeys,
  type AuditPage,
  type AuditStore,
  checkAuditCursor,
} from "./audit_store.ts";

export type {
  AuditAction,
  AuditEntry,
  AuditPage,
  AuditStore,
} from "./audit_store.ts";

export class AuditLog implements AuditStore {
  readonly #keys = new AuditKeys();

  constructor(readonly kv: Deno.Kv) {}

  async record(entry: AuditInput): Promise<AuditEntry> {
    const { full, now } = auditEntry(entry);
    await this.kv.set(["audit", this.#keys.next(now)], full);
    return full;
  }

  /**
   * Newest first; `cursor` is a next_cursor from a previous page: the key of
   * the last entry seen, so anything else is refused rather than misread.
   */
  async list(limit: number, cursor?: string): Promise<AuditPage> {
    checkAuditCursor(cursor);
    const before = (id?: string): Deno.KvListSelector =>
      id ? { prefix: ["audit"], end: ["audit", id] } : { prefix: ["audit"] };
    const entries: AuditEntry[] = [];
    let last: string | undefined;
    const iter = this.kv.list<AuditEntry>(before(cursor || undefined), {
      reverse: true,
      limit,
    });
    for await (const e of iter) {
      entries.push(e.value);
      last = e.key[1] as string;
    }
    let next: string | null = null;
    if (entries.length === limit && last) {
      // Only hand out a cursor when something older exists.
      const probe = this.kv.list(before(last), { reverse: true, limit: 1 });
      for await (const _ of probe) next = last;
    }
    return { entries, next_cursor: next };
  }
}
