// What one copier of `deno task migrate --from-kv` is (the list: kv_copiers.ts).
import type { Sql } from "./pg_client.ts";

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
  /** Copies its records from `kv` into `sql`; what is there already is skipped. */
  copy(kv: Deno.Kv, sql: Sql): Promise<CopyResult>;
}
