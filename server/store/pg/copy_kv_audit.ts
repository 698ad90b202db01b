// Copies the audit trail of a KV file into PostgreSQL under the same keys (so
// cursors and order carry over); entries already there are skipped.
import type { AuditEntry } from "../audit_store.ts";
import type { Sql } from "./pg_client.ts";
import type { CopyResult } from "./kv_copier.ts";

const BATCH = 1000;

export async function copyKvAudit(kv: Deno.Kv, sql: Sql): Promise<CopyResult> {
  const result: CopyResult = { copied: 0, skipped: [], notes: [] };
  let skipped = 0;
  let batch: [string, AuditEntry][] = [];
  const write = async () => {
    const rows = await sql`insert into pla_audit (key, at, entry)
      select * from unnest(${batch.map((b) => b[0])}::text[],
        ${batch.map((b) => b[1].at)}::timestamptz[],
        ${batch.map((b) => JSON.stringify(b[1]))}::text[]::json[])
      on conflict do nothing returning key`;
    result.copied += rows.length;
    skipped += batch.length - rows.length;
    batch = [];
  };
  for await (const e of kv.list<AuditEntry>({ prefix: ["audit"] })) {
    batch.push([e.key[1] as string, e.value]);
    if (batch.length >= BATCH) await write();
  }
  if (batch.length) await write();
  // Entries have no names worth listing: a count.
  if (skipped) result.notes.push(`${skipped} already in PostgreSQL`);
  return result;
}
