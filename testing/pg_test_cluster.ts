// One throw-away PostgreSQL cluster per test file, started by the first test
// that asks and stopped by the file's last test (`stopTestCluster`), with a
// fresh migrated database per test. When that last test does not run (a
// --filter), the process's unload stops the cluster instead.
import {
  asClusterUser,
  type PgCluster,
  postgresBin,
  startPostgres,
} from "./postgres.ts";
import { openPg, type Sql } from "../server/store/pg/pg_client.ts";

let cluster: Promise<PgCluster> | null = null;
let started: PgCluster | null = null;
let databases = 0;

/** Synchronous (unload cannot wait): pg_ctl stop, as the cluster's user, then its directory. */
function stopNow(c: PgCluster): void {
  const pgCtl = [
    `${postgresBin()}/pg_ctl`,
    "-D",
    `${c.dir}/data`,
    "-m",
    "immediate",
    "-w",
    "stop",
  ];
  const argv = asClusterUser(pgCtl);
  try {
    new Deno.Command(argv[0], {
      args: argv.slice(1),
      stdout: "null",
      stderr: "null",
    }).outputSync();
  } finally {
    Deno.removeSync(c.dir, { recursive: true });
  }
}

globalThis.addEventListener("unload", () => {
  if (started) stopNow(started);
  started = null;
});

export function testCluster(): Promise<PgCluster> {
  return cluster ??= startPostgres().then((c) => started = c);
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
    fn: stopCluster,
  });
}

/** Stops the file's cluster now (once its tests are done). */
export async function stopCluster(): Promise<void> {
  const c = started;
  cluster = null;
  started = null;
  if (c) await c.stop();
}
