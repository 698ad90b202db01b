// Audit trail in Deno KV: who started, stopped, deleted or exported which test,
// from where. Keys ["audit", <time-sortable id>] so a reverse list is newest first.
import { MalformedRequestError } from "../errors.ts";

export type AuditAction =
  | "start"
  | "stop"
  | "delete"
  | "export"
  | "monitor_create"
  | "monitor_update"
  | "monitor_delete";

export interface AuditEntry {
  at: string;
  action: AuditAction;
  /** The test acted on; "" for a monitor action. */
  test_id: string;
  /** The monitor acted on (monitor_* actions). */
  monitor_id?: string;
  who: string;
  from: string;
}

export interface AuditPage {
  entries: AuditEntry[];
  next_cursor: string | null;
}

/** An audit key: 9 base-36 time, 4 base-36 sequence, 8 hex random. */
const AUDIT_KEY = /^[0-9a-z]{13}[0-9a-f]{8}$/;

export class AuditLog {
  #lastMs = -1;
  #seq = 0;

  constructor(readonly kv: Deno.Kv) {}

  /** Time, then a sequence within the millisecond, then a random tail: sorts in record order. */
  #key(now: number): string {
    if (now === this.#lastMs) this.#seq++;
    else {
      this.#lastMs = now;
      this.#seq = 0;
    }
    const r = crypto.getRandomValues(new Uint8Array(4));
    return now.toString(36).padStart(9, "0") +
      this.#seq.toString(36).padStart(4, "0") +
      [...r].map((b) => b.toString(16).padStart(2, "0")).join("");
  }

  async record(
    entry: Omit<AuditEntry, "at"> & { at?: string },
  ): Promise<AuditEntry> {
    const now = entry.at ? Date.parse(entry.at) : Date.now();
    const full: AuditEntry = {
      at: new Date(now).toISOString(),
      action: entry.action,
      test_id: entry.test_id,
      ...(entry.monitor_id !== undefined
        ? { monitor_id: entry.monitor_id }
        : {}),
      who: entry.who,
      from: entry.from,
    };
    await this.kv.set(["audit", this.#key(now)], full);
    return full;
  }

  /**
   * Newest first; `cursor` is a next_cursor from a previous page: the key of
   * the last entry seen, so anything else is refused rather than misread.
   */
  async list(limit: number, cursor?: string): Promise<AuditPage> {
    if (cursor && !AUDIT_KEY.test(cursor)) {
      throw new MalformedRequestError(
        "cursor: not a cursor returned by this API",
        "cursor",
      );
    }
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
