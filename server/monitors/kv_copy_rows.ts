// Copies rows read from a KV file into a PostgreSQL table in batches, rows
// whose key is already there left as they are (a copy run again, or one
// interrupted and restarted, adds only what is missing).
import type { Sql } from "../store/pg/pg_client.ts";

const BATCH = 500;

export type Row = Record<string, unknown>;

/** Inserts `rows` into `table` (columns of the first row); returns how many were new. */
export async function copyRows(
  sql: Sql,
  table: string,
  rows: AsyncIterable<Row>,
): Promise<number> {
  let batch: Row[] = [];
  let added = 0;
  const write = async () => {
    if (!batch.length) return;
    const cols = Object.keys(batch[0]);
    // deno-lint-ignore no-explicit-any
    const r = await sql`insert into ${sql(table)} ${sql(batch as any, cols)}
      on conflict do nothing`;
    added += r.count;
    batch = [];
  };
  for await (const row of rows) {
    batch.push(row);
    if (batch.length >= BATCH) await write();
  }
  await write();
  return added;
}

/** The entries under a KV prefix, mapped (null: skipped). */
export async function* kvRows<T>(
  kv: Deno.Kv,
  prefix: Deno.KvKey,
  map: (key: Deno.KvKey, value: T) => Row | null,
): AsyncGenerator<Row> {
  for await (const e of kv.list<T>({ prefix }, { batchSize: 500 })) {
    const row = map(e.key, e.value);
    if (row) yield row;
  }
}
