// Leases, global admission and heartbeats on a real PostgreSQL cluster.
import assert from "node:assert/strict";
import { gate } from "../../testing/gate.ts";
import {
  type PgCluster,
  postgresUnavailableReason,
  startPostgres,
} from "../../testing/postgres.ts";
import { openPg, type Sql } from "../store/pg/pg_client.ts";
import { LeaseKeeper } from "./lease_keeper.ts";
import { admitGlobally } from "./global_admission.ts";
import { ReplicaHeartbeat } from "./replica_heartbeat.ts";
import { checkAdmission, limitsSchema } from "../policy/limits.ts";
import { LimitError } from "../errors.ts";
import type { TestMeta } from "../../model/run.ts";

const ignore = gate("cluster on PostgreSQL", postgresUnavailableReason());

async function withDb(
  name: string,
  fn: (sql: Sql) => Promise<void>,
): Promise<void> {
  const sql = await openPg(await pg!.createDatabase(name));
  try {
    await fn(sql);
  } finally {
    await sql.end({ timeout: 1 });
  }
}

let pg: PgCluster | null = null;
const opts = { ignore, sanitizeResources: false, sanitizeOps: false };

Deno.test({
  name: "cluster on PostgreSQL",
  ...opts,
  async fn(t) {
    pg = await startPostgres();
    try {
      await t.step(
        "a lease has one holder; another takes it once it expires",
        () =>
          withDb("leases", async (sql) => {
            const a = new LeaseKeeper(sql, "a", 400);
            const b = new LeaseKeeper(sql, "b", 400);
            assert.deepEqual(await a.hold("m1"), true);
            assert.deepEqual(await b.hold("m1"), false);
            assert.deepEqual(await a.hold("m1"), true, "the holder renews");
            assert.deepEqual(await b.hold("m2"), true, "leases are per name");
            await new Promise((r) => setTimeout(r, 600));
            assert.deepEqual(await b.hold("m1"), true, "expired: b takes it");
            assert.deepEqual(await a.hold("m1"), false);
            await b.release("m1");
            assert.deepEqual(
              await a.hold("m1"),
              true,
              "released: a may take it",
            );
            assert.deepEqual((await a.holders()).get("m1"), "a");
          }),
      );

      await t.step(
        "admission is global and race-free across connections",
        () =>
          withDb("admission", async (sql) => {
            const limits = limitsSchema.parse({ max_concurrent_tests: 2 });
            const settings = {
              count: 10,
              interval_ms: 1000,
              timeout_ms: 1000,
              size: 56,
            } as TestMeta["settings"];
            let n = 0;
            // Eight "replicas" admit at once; each registers a running test row.
            const attempts = Array.from({ length: 8 }, (_, i) =>
              admitGlobally(
                sql,
                5000,
                (load) =>
                  checkAdmission(
                    load.running,
                    { who: `u${i}`, targets: 1, settings },
                    limits,
                    Date.now(),
                    load.monitorsPps,
                  ),
                async () => {
                  const meta = {
                    id: `t${i}`,
                    status: "running",
                    created_at: new Date().toISOString(),
                    finished_at: null,
                    created_by: `u${i}`,
                    settings,
                    targets: [{ id: "x", name: "x", host: "127.0.0.1" }],
                  };
                  await sql`insert into pla_tests (id, created_at, status, meta)
                  values (${meta.id}, ${meta.created_at}, 'running', ${
                    sql.json(meta as never)
                  })`;
                  n++;
                },
              ).then(() => true, (e) => {
                if (!(e instanceof LimitError)) throw e;
                return false;
              }));
            const admitted = (await Promise.all(attempts)).filter(Boolean);
            assert.deepEqual(
              admitted.length,
              2,
              "exactly max_concurrent_tests",
            );
            assert.deepEqual(n, 2);
            await assert.rejects(
              () =>
                admitGlobally(sql, 5000, () => {
                  throw new LimitError("full");
                }, () => Promise.resolve()),
              LimitError,
            );
          }),
      );

      await t.step(
        "a replica that stops beating is swept; its tests are handed over",
        () =>
          withDb("heartbeat", async (sql) => {
            const swept: string[][] = [];
            const interrupt = (owners: string[]) => {
              swept.push(owners);
              return Promise.resolve(owners.length);
            };
            const dead = new ReplicaHeartbeat(sql, "dead", {
              deadAfterMs: 300,
              interruptOwnedBy: interrupt,
            });
            const alive = new ReplicaHeartbeat(sql, "alive", {
              deadAfterMs: 300,
              interruptOwnedBy: interrupt,
            });
            await dead.beat();
            await alive.beat();
            assert.deepEqual(swept, [], "both alive");
            assert.deepEqual((await alive.live()).map((r) => r.id), [
              "alive",
              "dead",
            ]);
            await new Promise((r) => setTimeout(r, 500));
            await alive.beat();
            assert.deepEqual(swept, [["dead"]]);
            assert.deepEqual((await alive.live()).map((r) => r.id), ["alive"]);
            await alive.beat();
            assert.deepEqual(swept.length, 1, "swept once: its row is gone");
          }),
      );
    } finally {
      await pg.stop();
    }
  },
});
