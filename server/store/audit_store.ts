// The audit trail's records and the interface both stores implement
// (AuditLog on Deno KV, PgAuditLog on PostgreSQL): who started, stopped,
// deleted or exported which test, or changed which monitor, from where.
// Entries are keyed by a time-sortable text, so newest-first pages are reverse
// range reads and a cursor is the key of the last entry seen.
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

export type AuditInput = Omit<AuditEntry, "at"> & { at?: string };

export interface AuditStore {
  record(entry: AuditInput): Promise<AuditEntry>;
  /** Newest first; `cursor` is a next_cursor of a previous page. */
  list(limit: number, cursor?: string): Promise<AuditPage>;
}

/** An audit key: 9 base-36 time, 4 base-36 sequence, 8 hex random. */
const AUDIT_KEY = /^[0-9a-z]{13}[0-9a-f]{8}$/;

/** Refuses anything but a key this API handed out (rather than misread it). */
export function checkAuditCursor(cursor: string | undefined): void {
  if (cursor && !AUDIT_KEY.test(cursor)) {
    throw new MalformedRequestError(
      "cursor: not a cursor returned by this API",
      "cursor",
    );
  }
}

/** Time, then a sequence within the millisecond, then a random tail: sorts in record order. */
export class AuditKeys {
  #lastMs = -1;
  #seq = 0;

  next(now: number): string {
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
}

/** The stored entry (`at` from the input or now, fields in a fixed order) and its time. */
export function auditEntry(
  entry: AuditInput,
): { full: AuditEntry; now: number } {
  const now = entry.at ? Date.parse(entry.at) : Date.now();
  const full: AuditEntry = {
    at: new Date(now).toISOString(),
    action: entry.action,
    test_id: entry.test_id,
    ...(entry.monitor_id !== undefined ? { monitor_id: entry.monitor_id } : {}),
    who: entry.who,
    from: entry.from,
  };
  return { full, now };
}
