// What `deno task migrate --from-kv FILE` copies from a KV file into
// PostgreSQL, in order: one entry per kind of record. Each copier is
// idempotent (what is already in PostgreSQL is skipped), so a second run
// copies only what the first did not.
import type { Sql } from "./pg_client.ts";
import { copyKvTests } from "./copy_kv_tests.ts";
import { copyKvAudit } from "./copy_kv_audit.ts";

export interface CopyResult {
  /** Records copied. */
  copied: number;
  /** Ids of records skipped because PostgreSQL has them already. */
  skipped: string[];
  /** Anything else worth a word in the report ("1234 events"). */
  notes: string[];
}

export interface KvCopier {
  name: string;
  copy(kv: Deno.Kv, sql: Sql): Promise<CopyResult>;
}

export const KV_COPIERS: readonly KvCopier[] = [
  { name: "tests", copy: copyKvTests },
  { name: "audit", copy: copyKvAudit },
  // Monitors and alerts add their copiers here.
];
