// Fresh databases for PostgreSQL store suites, named by a prefix, on the
// file's throw-away cluster (pg_test_cluster.ts: started on first use,
// stopped at unload if stop() never runs): a new migrated database per test
// (so each test starts empty), every pool ended and the cluster removed by
// stop() — register it as the file's last test.
import { openPg, type Sql } from "../server/store/pg/pg_client.ts";
import { stopCluster, testCluster } from "./pg_test_cluster.ts";

export interface PgDatabases {
  /** A new empty database with the schema applied, and its URL. */
  fresh(): Promise<{ sql: Sql; url: string }>;
  /** Ends every pool and removes the cluster. */
  stop(): Promise<void>;
}

export function pgDatabases(prefix: string): PgDatabases {
  const pools: Sql[] = [];
  let n = 0;
  return {
    async fresh() {
      const c = await testCluster();
      const url = await c.createDatabase(`${prefix}_${++n}`);
      const sql = await openPg(url, { max: 4 });
      pools.push(sql);
      return { sql, url };
    },
    async stop() {
      await Promise.allSettled(pools.map((p) => p.end({ timeout: 1 })));
      await stopCluster();
    },
  };
}
