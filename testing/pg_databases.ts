// Fresh databases for PostgreSQL store suites: one throw-away cluster
// (testing/postgres.ts) started on first use, a new migrated database per
// test (so each test starts empty), every pool ended and the cluster
// removed by stop() — register it as the file's last test.
import { type PgCluster, startPostgres } from "./postgres.ts";
import { openPg, type Sql } from "../server/store/pg/pg_client.ts";

export interface PgDatabases {
  /** A new empty database with the schema applied, and its URL. */
  fresh(): Promise<{ sql: Sql; url: string }>;
  /** Ends every pool and removes the cluster. */
  stop(): Promise<void>;
}

export function pgDatabases(prefix: string): PgDatabases {
  let cluster: Promise<PgCluster> | undefined;
  const pools: Sql[] = [];
  let n = 0;
  return {
    async fresh() {
      cluster ??= startPostgres();
      const c = await cluster;
      const url = await c.createDatabase(`${prefix}_${++n}`);
      const sql = await openPg(url, { max: 4 });
      pools.push(sql);
      return { sql, url };
    },
    async stop() {
      await Promise.allSettled(pools.map((p) => p.end({ timeout: 1 })));
      if (cluster) await (await cluster).stop();
    },
  };
}
