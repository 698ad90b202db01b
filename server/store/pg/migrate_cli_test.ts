// `deno task migrate` end to end, as a subprocess with the task's
// permissions: a KV file of stored tests (finished, long, a path test, one
// cut short) and an audit trail, copied into a throw-away PostgreSQL and read
// back through PgRunStore with identical records and events; a second run
// skips everything; bad flags and an unreachable server are one line.
import assert from "node:assert/strict";
import { gate } from "../../../testing/gate.ts";
import { postgresUnavailableReason } from "../../../testing/postgres.ts";
import {
  freshDatabase,
  stopTestCluster,
} from "../../../testing/pg_test_cluster.ts";
import { taskPermissions } from "../../../testing/deno_flags.ts";
import { runCommand } from "../../../testing/run_command.ts";
import {
  storedMeta,
  storeFinishedTest,
} from "../../../testing/stored_history.ts";
import { storePathTest } from "../../../testing/stored_path.ts";
import { KvStore } from "../kv_store.ts";
import { AuditLog } from "../audit_log.ts";
import type { PathSummary } from "../../../model/path.ts";
import { PgRunStore } from "./pg_run_store.ts";
import { PgAuditLog } from "./pg_audit_log.ts";

const ignore = gate("deno task migrate", postgresUnavailableReason());
const ROOT = new URL("../../../", import.meta.url).pathname;

function migrate(
  dir: string,
  args: string[],
  env: Record<string, string> = {},
) {
  return runCommand(Deno.execPath(), [
    "run",
    ...taskPermissions("migrate", { read: [dir], write: [dir] }),
    "server/store/pg/migrate_cli.ts",
    ...args,
  ], { cwd: ROOT, env: { PLA_DATABASE_URL: "", ...env } });
}

/** A KV file with four tests (one left running) and three audit entries. */
async function seedKv(path: string): Promise<void> {
  const store = await KvStore.open(path, { flushEveryMs: 3_600_000 });
  try {
    await storeFinishedTest(store, storedMeta(1, { id: "small" }), 10);
    await storeFinishedTest(
      store,
      storedMeta(2, { id: "long", targets: ["a", "b"] }),
      12_000,
    );
    await storePathTest(store, "path1");
    await store.savePaths("path1", [{ target: "x" }, { target: "y" }] as never);
    await storePathTest(store, "cut", true);
    const audit = new AuditLog(store.kv);
    for (const [i, test_id] of ["small", "long", "cut"].entries()) {
      await audit.record({
        at: new Date(1_700_000_000_000 + i).toISOString(),
        action: "start",
        test_id,
        who: "ann",
        from: "::1",
      });
    }
  } finally {
    await store.close();
  }
}

Deno.test({
  name: "migrate --from-kv copies tests, events and the audit trail, once",
  ignore,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "pla-migrate-" });
    const { sql, url } = await freshDatabase();
    try {
      const kvPath = `${dir}/pla.kv`;
      await seedKv(kvPath);
      const first = await migrate(dir, ["--from-kv", kvPath], {
        PLA_DATABASE_URL: url,
      });
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stdout, /schema up to date|applied schema/);
      assert.match(first.stdout, /^tests: 4 copied; \d+ events$/m);
      assert.match(first.stdout, /^audit: 3 copied$/m);

      const kv = await KvStore.open(kvPath, { flushEveryMs: 3_600_000 });
      const pg = await PgRunStore.open(sql, { owner: "check" });
      try {
        const kvList = await kv.listTests({ limit: 100 });
        assert.deepEqual(await pg.listTests({ limit: 100 }), kvList);
        assert.equal(kvList.tests.length, 4);
        assert.equal((await pg.getTest("cut"))?.status, "interrupted");
        for (const { id } of kvList.tests) {
          assert.deepEqual(await pg.events(id), await kv.events(id), id);
          assert.deepEqual(await pg.getSummary(id), await kv.getSummary(id));
        }
        assert.equal((await pg.events("long")).length, 12_016);
        assert.deepEqual(
          (await pg.getPaths("path1"))?.map((p: PathSummary) => p.target),
          ["x", "y"],
        );
        assert.deepEqual(
          (await pg.listTests({ limit: 10, target: "b" })).tests.map((t) =>
            t.id
          ),
          ["long"],
        );
        assert.deepEqual(
          await new PgAuditLog(sql).list(10),
          await new AuditLog(kv.kv).list(10),
        );
      } finally {
        await pg.close();
        await kv.close();
      }

      // Again: nothing is copied twice.
      const count = async () =>
        (await sql`select
          (select count(*) from pla_events) + (select count(*) from pla_audit)
          + (select count(*) from pla_tests) as n`)[0].n;
      const before = await count();
      const again = await migrate(dir, [
        "--from-kv",
        kvPath,
        "--database-url",
        url,
      ]);
      assert.equal(again.code, 0, again.stderr);
      assert.match(
        again.stdout,
        /^tests: 0 copied; 0 events; 4 already in PostgreSQL, skipped: /m,
      );
      assert.match(again.stdout, /^audit: 0 copied; 3 already in PostgreSQL$/m);
      assert.equal(await count(), before);
    } finally {
      await sql.end();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "migrate: bad flags and an unreachable server are one line",
  ignore,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "pla-migrate-" });
    const db = await freshDatabase();
    await db.sql.end();
    try {
      const cases: [string[], Record<string, string>, number, RegExp][] = [
        [["--bogus"], {}, 2, /^migrate: unknown argument "--bogus"; usage: /],
        [[], {}, 2, /^migrate: no database: give --database-url URL/],
        [
          ["--database-url", "mysql://u:hunter2@db/x"],
          {},
          2,
          /^migrate: --database-url: must be a postgres/,
        ],
        [
          ["--from-kv", `${dir}/none.kv`],
          {
            PLA_DATABASE_URL: await freshDatabase().then(async (d) => {
              await d.sql.end();
              return d.url;
            }),
          },
          2,
          /^migrate: --from-kv: .*none\.kv: no such file\n/,
        ],
        [
          ["--database-url", "postgres://u:hunter2@127.0.0.1:1/x"],
          {},
          1,
          /^migrate: cannot connect to PostgreSQL at postgres:\/\/u:\*\*\*@127\.0\.0\.1:1\/x: /,
        ],
      ];
      for (const [args, env, code, message] of cases) {
        const r = await migrate(dir, args, env);
        assert.equal(r.code, code, `${args}: ${r.stderr}`);
        assert.match(r.stderr, message);
        assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
        assert.ok(!r.stderr.includes("hunter2"));
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

stopTestCluster(ignore);
