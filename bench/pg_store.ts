// Benchmark: the PostgreSQL store (issue 13) on a throw-away cluster. Rows:
// events stored per second by PgRunStore against KvStore fed the same events
// the same way (the peer), and one history page with 1,000,000 stored tests
// (store.listTests: the first page, and a later page filtered by server and
// status). Not yet in bench/main.ts: add `["pg", "13 PostgreSQL store",
// pgStoreBench]` there.
import { type BenchRow, num, ratio, skippedRows, verdict } from "./report.ts";
import { median } from "./quantile.ts";
import {
  postgresUnavailableReason,
  startPostgres,
} from "../testing/postgres.ts";
import { storedEvents, storedMeta } from "../testing/stored_history.ts";
import { openPg, type Sql } from "../server/store/pg/pg_client.ts";
import { PgRunStore } from "../server/store/pg/pg_run_store.ts";
import { KvStore } from "../server/store/kv_store.ts";
import type { RunStore, TestListQuery } from "../server/store/run_store.ts";

const BENCH = "13 PostgreSQL store";
const TESTS = 1_000_000;
const WRITERS = 10;
const EVENTS_EACH = 20_000;
const BATCH = 500;
const RUNS = 20;
const LIST_TARGET_MS = 100;

/** Events per second `store` writes: WRITERS tests' logs appended in turns of BATCH, a flush each turn. */
async function writeRate(store: RunStore): Promise<number> {
  const logs = [...Array(WRITERS).keys()].map((i) =>
    [...storedEvents(`w${i}`, EVENTS_EACH)].flat()
  );
  for (let i = 0; i < WRITERS; i++) {
    await store.saveTest(storedMeta(i, { id: `w${i}` }));
  }
  const t0 = performance.now();
  let n = 0;
  for (let k = 0; k < logs[0].length; k += BATCH) {
    for (const [i, log] of logs.entries()) {
      for (const e of log.slice(k, k + BATCH)) store.appendEvent(`w${i}`, e);
      n += Math.min(BATCH, log.length - k);
    }
    await store.flush();
  }
  if (store.writeError) throw new Error(store.writeError);
  return n / ((performance.now() - t0) / 1000);
}

/** TESTS finished tests on 20 servers, straight into the tables. */
async function fill(sql: Sql): Promise<void> {
  await sql`delete from pla_tests`;
  await sql`insert into pla_tests (id, created_at, status, finished_at, meta)
    select id, at, status, at, json_build_object('id', id, 'status', status,
      'created_at', at, 'finished_at', at, 'created_by', 'anonymous',
      'settings', json_build_object('interval_ms', 1000, 'count', 10,
        'timeout_ms', 1000, 'size', 56),
      'targets', json_build_array(json_build_object('id', target,
        'name', target, 'host', '127.0.0.1', 'address', '127.0.0.1')))
    from (select 't' || lpad(i::text, 7, '0') as id,
        to_char(timestamp '2025-01-01' + i * interval '1 second',
          'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as at,
        (array['completed','stopped','failed','interrupted'])[i % 4 + 1]
          as status,
        'srv' || (i % 20) as target
      from generate_series(1, ${TESTS}) i) s`;
  await sql`insert into pla_test_targets (test_id, target, created_at, status)
    select id, meta->'targets'->0->>'id', created_at, status from pla_tests`;
  await sql`vacuum analyze`;
}

async function timeList(store: RunStore, q: TestListQuery): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i <= RUNS; i++) {
    const t0 = performance.now();
    const page = await store.listTests(q);
    if (page.tests.length !== q.limit) throw new Error("short page");
    if (i > 0) times.push(performance.now() - t0);
  }
  return median(times) ?? NaN;
}

export async function pgStoreBench(): Promise<BenchRow[]> {
  const why = postgresUnavailableReason();
  if (why) return skippedRows(BENCH, why);
  const cluster = await startPostgres();
  const dir = await Deno.makeTempDir({ prefix: "pla-bench-kv-" });
  let sql: Sql | null = null;
  try {
    sql = await openPg(cluster.url);
    const pg = await PgRunStore.open(sql, {
      owner: "bench",
      flushEveryMs: 3_600_000,
    });
    const kv = await KvStore.open(`${dir}/pla.kv`, {
      flushEveryMs: 3_600_000,
    });
    const kvRate = await writeRate(kv);
    await kv.close();
    const pgRate = await writeRate(pg);
    await fill(sql);
    const first = await timeList(pg, { limit: 50 });
    const page = await pg.listTests({ limit: 50, target: "srv3" });
    const last = page.tests.at(-1)!;
    const filtered = await timeList(pg, {
      limit: 50,
      target: "srv3",
      status: last.status,
      after: [last.created_at, last.id],
    });
    await pg.close();
    const listRow = (figure: string, ms: number): BenchRow => ({
      bench: BENCH,
      figure,
      ours: num(ms, 2),
      peer: "—",
      ratio: "—",
      target: `< ${LIST_TARGET_MS} ms`,
      verdict: verdict(ms < LIST_TARGET_MS),
    });
    return [
      {
        bench: BENCH,
        figure:
          `events stored per second (${WRITERS} tests, ${BATCH} events each per flush)`,
        ours: num(pgRate, 0),
        peer: `KV store ${num(kvRate, 0)}`,
        ratio: ratio(pgRate, kvRate),
        target: "≥ KV store, ≥ 10,000",
        verdict: verdict(
          pgRate >= kvRate && pgRate >= 10_000,
          `${num(pgRate / kvRate, 2)}× the KV store`,
        ),
      },
      listRow(
        `history page, ${
          TESTS.toLocaleString("en")
        } tests stored: first 50, ms, median of ${RUNS}`,
        first,
      ),
      listRow(
        "history page by server and status after a cursor, ms, median",
        filtered,
      ),
    ];
  } finally {
    await sql?.end();
    await cluster.stop();
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) console.log(await pgStoreBench());
