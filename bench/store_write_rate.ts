// Part of benchmark 12 (bench/postgres.ts): what the stores alone write, on a
// throw-away cluster: events per second by PgRunStore against KvStore fed the
// same events the same way.
import { startPostgres } from "../testing/postgres.ts";
import { storedEvents, storedMeta } from "../testing/stored_history.ts";
import { openPg, type Sql } from "../server/store/pg/pg_client.ts";
import { PgRunStore } from "../server/store/pg/pg_run_store.ts";
import { KvStore } from "../server/store/kv_store.ts";
import type { RunStore } from "../server/store/run_store.ts";

const WRITERS = 10;
const EVENTS_EACH = 20_000;
const BATCH = 500;

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

/**
 * Events per second PgRunStore and KvStore write when fed the same events
 * the same way (straight through the store API, no service around them).
 */
export async function storeWriteRates(): Promise<{ pg: number; kv: number }> {
  const cluster = await startPostgres();
  const dir = await Deno.makeTempDir({ prefix: "pla-bench-kv-" });
  let sql: Sql | null = null;
  try {
    sql = await openPg(cluster.url);
    const pg = await PgRunStore.open(sql, {
      owner: "bench",
      flushEveryMs: 3_600_000,
      flushDelayMs: Infinity,
    });
    const kv = await KvStore.open(`${dir}/pla.kv`, {
      flushEveryMs: 3_600_000,
    });
    const kvRate = await writeRate(kv);
    await kv.close();
    const pgRate = await writeRate(pg);
    await pg.close();
    return { pg: pgRate, kv: kvRate };
  } finally {
    await sql?.end();
    await cluster.stop();
    await Deno.remove(dir, { recursive: true });
  }
}
