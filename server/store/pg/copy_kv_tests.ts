// Copies every test of a KV file (schema 2: kv_layout.ts) into PostgreSQL:
// record and listing rows, summary, path summaries and event log, each test
// in one transaction (a copy cut short leaves no half test behind). A test
// already in PostgreSQL is skipped and reported, so running it again is safe.
import type { TestMeta } from "../../../model/run.ts";
import type { PathSummary } from "../../../model/path.ts";
import type { StoredEvent } from "../run_store.ts";
import type postgres from "postgres";
import type { Sql } from "./pg_client.ts";
import { upsertTest } from "./pg_run_store.ts";
import type { CopyResult } from "./kv_copier.ts";

/** Events per insert statement. */
const BATCH = 5000;

type Tx = postgres.TransactionSql;

async function insertEvents(tx: Tx, id: string, events: StoredEvent[]) {
  await tx`insert into pla_events (test_id, id, type, body)
    select ${id}, * from unnest(${events.map((e) => e.id)}::int[],
      ${events.map((e) => e.type)}::text[],
      ${events.map((e) => JSON.stringify(e))}::text[])
    on conflict do nothing`;
}

async function copyTest(kv: Deno.Kv, sql: Sql, meta: TestMeta) {
  const id = meta.id;
  const summary = (await kv.get(["summaries", id])).value;
  const paths: PathSummary[] = [];
  for await (const e of kv.list<PathSummary>({ prefix: ["paths", id] })) {
    paths.push(e.value);
  }
  let events = 0;
  await sql.begin(async (tx) => {
    // A test the KV store left running has no replica to finish it.
    await upsertTest(tx, meta, null);
    if (summary !== null) {
      await tx`update pla_tests set summary = ${
        JSON.stringify(summary)
      }::text::json where id = ${id}`;
    }
    if (paths.length) {
      await tx`update pla_tests set paths = ${
        JSON.stringify(paths)
      }::text::json where id = ${id}`;
    }
    let batch: StoredEvent[] = [];
    for await (const e of kv.list<string>({ prefix: ["ev", id] })) {
      batch.push(...JSON.parse(e.value) as StoredEvent[]);
      if (batch.length >= BATCH) {
        await insertEvents(tx, id, batch);
        events += batch.length;
        batch = [];
      }
    }
    if (batch.length) await insertEvents(tx, id, batch);
    events += batch.length;
  });
  return events;
}

export async function copyKvTests(kv: Deno.Kv, sql: Sql): Promise<CopyResult> {
  const result: CopyResult = { copied: 0, skipped: [], notes: [] };
  let events = 0;
  for await (const e of kv.list<TestMeta>({ prefix: ["tests"] })) {
    const meta = e.value;
    const [there] = await sql`select 1 from pla_tests where id = ${meta.id}`;
    if (there) {
      result.skipped.push(meta.id);
      continue;
    }
    events += await copyTest(kv, sql, meta);
    result.copied++;
  }
  result.notes.push(`${events} events`);
  return result;
}
