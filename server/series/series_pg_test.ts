// The series read from PostgreSQL: the same answers as from KV, since both
// stores give the index their events chunk by chunk (a throw-away cluster).
import assert from "node:assert/strict";
import { gate } from "../../testing/gate.ts";
import { postgresUnavailableReason } from "../../testing/postgres.ts";
import {
  freshDatabase,
  stopTestCluster,
} from "../../testing/pg_test_cluster.ts";
import { storeBigTest } from "../../testing/stored_big_test.ts";
import { PgRunStore } from "../store/pg/pg_run_store.ts";
import { KvStore } from "../store/kv_store.ts";
import type { RunStore } from "../store/run_store.ts";
import { SeriesService } from "./series_service.ts";

const ignore = gate("series on PostgreSQL", postgresUnavailableReason());

const serviceOf = (store: RunStore) =>
  new SeriesService({
    get: (id) => store.getTest(id),
    eventChunks: (id) => store.eventChunks(id),
  });

Deno.test({
  name: "series and distribution: PostgreSQL answers as KV does",
  ignore,
  async fn() {
    const { sql } = await freshDatabase();
    const pg = await PgRunStore.open(sql, { owner: "r1" });
    const kv = await KvStore.open(":memory:");
    try {
      const answers = [];
      for (const store of [pg, kv]) {
        const plan = await storeBigTest(store, { id: "day", probes: 12_000 });
        const service = serviceOf(store);
        const mid = plan.lost[0];
        answers.push({
          all: await service.series("day", { points: 700 }),
          zoom: await service.series("day", {
            points: 1000,
            from: plan.at(mid - 10),
            to: plan.at(mid + 10),
          }),
          dist: await service.distribution("day"),
        });
      }
      const [p, k] = answers;
      assert.equal(p.all.probes, 12_000);
      assert.equal(p.all.targets[0].lost.reduce((a, b) => a + b, 0), 1);
      assert.equal(p.zoom.raw, true);
      assert.equal(p.zoom.targets[0].status![10], "lost");
      assert.deepEqual(p, k);
    } finally {
      await pg.close();
      await kv.close();
      await sql.end();
    }
  },
});

stopTestCluster(ignore);
