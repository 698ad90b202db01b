// One throw-away PostgreSQL cluster per test file, started by the first test
// that asks and stopped by the file's last test (`stopTestCluster`), with a
// fresh migrated database per test.
import { type PgCluster, startPostgres } from "./postgres.ts";
import { openPg, type Sql } from "../server/store/pg/pg_client.ts";

let cluster: Promise<PgCluster> | null = null;
let databases = 0;

export function testCluster(): Promise<PgCluster> {
  return cluster ??= startPostgres();
}

/** A new database on the file's cluster, migrated; returns its pool and URL. */
export async function freshDatabase(): Promise<{ sql: Sql; url: string }> {
  const url = await (await testCluster()).createDatabase(`t${++databases}`);
  return { sql: await openPg(url, { max: 4 }), url };
}

/** Registers the test that stops the cluster: call it after the file's other tests. */
export function stopTestCluster(ignore: boolean): void {
  Deno.test({
    name: "stop the test cluster",
    ignore,
    async fn() {
      if (cluster) await (await cluster).stop();
      cluster = null;
    },
  });
}
