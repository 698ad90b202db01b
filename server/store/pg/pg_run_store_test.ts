// The store suite on PostgreSQL (a throw-away cluster, a database per test),
// and what only the shared store does: owners and replica liveness, the
// pla_events notification, and listings read through indexes.
import assert from "node:assert/strict";
import { gate } from "../../../testing/gate.ts";
import { postgresUnavailableReason } from "../../../testing/postgres.ts";
import {
  freshDatabase,
  stopTestCluster,
} from "../../../testing/pg_test_cluster.ts";
import { storedMeta } from "../../../testing/stored_history.ts";
import { runStoreSuite } from "../../../testing/run_store_suite.ts";
import { EVENTS_CHANNEL, PgRunStore } from "./pg_run_store.ts";
import { listQuery } from "./pg_test_list.ts";
import type { Sql } from "./pg_client.ts";

const ignore = gate("PostgreSQL store", postgresUnavailableReason());

runStoreSuite("PgRunStore", async () => {
  const { sql } = await freshDatabase();
  let store = await PgRunStore.open(sql, {
    owner: "r1",
    flushEveryMs: 60_000,
    flushDelayMs: Infinity,
  });
  return {
    get store() {
      return store;
    },
    async reopen() {
      await store.close();
      store = await PgRunStore.open(sql, {
        owner: "r1",
        flushEveryMs: 60_000,
        flushDelayMs: Infinity,
      });
      return store;
    },
    async breakWrites() {
      await sql.unsafe(`
        create function pla_fail() returns trigger language plpgsql as
          $$ begin raise exception 'no space left on device (test)'; end $$;
        create trigger pla_fail before insert on pla_events
          for each statement execute function pla_fail();`);
      return async () => {
        await sql`drop trigger pla_fail on pla_events`;
      };
    },
    async close() {
      await store.close();
      await sql.end();
    },
  };
}, { ignore });

async function withDb(fn: (sql: Sql) => Promise<void>) {
  const { sql } = await freshDatabase();
  try {
    await fn(sql);
  } finally {
    await sql.end();
  }
}

const running = (i: number, id: string) => ({
  ...storedMeta(i, { id, status: "running" }),
  finished_at: null,
});

Deno.test({
  name: "PgRunStore: only tests of replicas not seen lately are interrupted",
  ignore,
  fn: () =>
    withDb(async (sql) => {
      const a = await PgRunStore.open(sql, {
        owner: "alive",
        flushEveryMs: 60_000,
        flushDelayMs: Infinity,
      });
      const b = await PgRunStore.open(sql, {
        owner: "stale",
        flushEveryMs: 60_000,
        flushDelayMs: Infinity,
      });
      await a.saveTest(running(1, "ta"));
      await b.saveTest(running(2, "tb"));
      await sql`insert into pla_replicas (id, seen_at) values
        ('alive', now()), ('stale', now() - interval '1 minute')`;
      // Its own running test is not touched by its own sweep.
      assert.equal(await a.markInterrupted(), 1);
      assert.equal((await a.getTest("ta"))?.status, "running");
      assert.equal((await a.getTest("tb"))?.status, "interrupted");
      const [row] = await sql`select owner from pla_tests where id = 'tb'`;
      assert.equal(row.owner, null);
      // Another replica starting does not interrupt a live one's test...
      const c = await PgRunStore.open(sql, {
        owner: "c",
        flushEveryMs: 60_000,
        flushDelayMs: Infinity,
      });
      assert.equal((await c.getTest("ta"))?.status, "running");
      // ...the sweeper does, once it finds the replica dead.
      assert.deepEqual(await c.markInterruptedOwnedBy(["alive"]), ["ta"]);
      assert.deepEqual(await c.markInterruptedOwnedBy(["alive"]), []);
      assert.deepEqual(
        (await c.events("ta")).map((e) => e.type),
        ["status", "end"],
      );
      for (const s of [a, b, c]) await s.close();
    }),
});

Deno.test({
  name:
    "PgRunStore: one flush notifies pla_events per test, after the rows are visible",
  ignore,
  fn: () =>
    withDb(async (sql) => {
      const store = await PgRunStore.open(sql, {
        owner: "r",
        flushEveryMs: 60_000,
        flushDelayMs: Infinity,
      });
      for (const id of ["a", "b"]) await store.saveTest(storedMeta(1, { id }));
      const got: string[] = [];
      const seen: number[] = [];
      const listener = await sql.listen(EVENTS_CHANNEL, async (payload) => {
        got.push(payload);
        const [test, last] = payload.split(":");
        const [r] =
          await sql`select max(id) as m from pla_events where test_id = ${test}`;
        seen.push(r.m === Number(last) ? 1 : 0);
      });
      const ev = (id: number) => ({
        id,
        type: "status" as const,
        data: { id: "a", status: "running" as const },
      });
      for (const i of [1, 2, 3]) store.appendEvent("a", ev(i));
      store.appendEvent("b", ev(1));
      store.appendEvent("b", ev(2));
      await store.flush();
      for (let i = 0; i < 100 && seen.length < 2; i++) {
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.deepEqual(got.sort(), ["a:3", "b:2"]);
      assert.deepEqual(seen, [1, 1]);
      // Bodies are the JSON text as written.
      const rows =
        await sql`select body from pla_events where test_id = 'a' order by id`;
      assert.deepEqual(
        rows.map((r) => r.body),
        [1, 2, 3].map((i) => JSON.stringify(ev(i))),
      );
      await listener.unlisten();
      await store.close();
    }),
});

Deno.test({
  name:
    "PgRunStore: events of a test not stored are dropped, the others written",
  ignore,
  fn: () =>
    withDb(async (sql) => {
      const store = await PgRunStore.open(sql, {
        owner: "r",
        flushEveryMs: 60_000,
        flushDelayMs: Infinity,
      });
      await store.saveTest(storedMeta(1, { id: "kept" }));
      const ev = (test: string, id: number) => ({
        id,
        type: "status" as const,
        data: { id: test, status: "running" as const },
      });
      store.appendEvent("ghost", ev("ghost", 1));
      store.appendEvent("kept", ev("kept", 1));
      await store.flush();
      assert.equal(store.writeError, null);
      assert.deepEqual(await store.events("kept"), [ev("kept", 1)]);
      assert.deepEqual(await store.events("ghost"), []);
      store.appendEvent("kept", ev("kept", 2));
      await store.flush();
      assert.equal((await store.lastEvent("kept"))?.id, 2);
      await store.close();
    }),
});

Deno.test({
  name:
    "PgRunStore: history listings read an index, never sort or scan the table",
  ignore,
  fn: () =>
    withDb(async (sql) => {
      // 50,000 tests on 20 targets, straight into the tables.
      await sql`insert into pla_tests (id, created_at, status, meta)
        select 't' || lpad(i::text, 6, '0'),
          to_char(timestamp '2026-01-01' + i * interval '1 second',
            'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
          (array['completed','stopped','failed','interrupted'])[i % 4 + 1],
          '{}'::json
        from generate_series(1, 50000) i`;
      await sql`insert into pla_test_targets (test_id, target, created_at, status)
        select id, 'srv' || (substr(id, 2)::int % 20), created_at, status
        from pla_tests`;
      await sql`analyze`;
      const after: [string, string] = ["2026-01-01T10:00:00.000Z", "t036000"];
      for (
        const q of [
          { limit: 50 },
          { limit: 50, after },
          { limit: 50, status: "failed", after },
          { limit: 50, target: "srv3", after },
          { limit: 50, target: "srv3", status: "interrupted", after },
          {
            limit: 50,
            fromIso: "2026-01-01T01:00:00.000Z",
            toIso: "2026-01-01T02:00:00.000Z",
          },
        ]
      ) {
        const plan = (await sql`explain ${listQuery(sql, q)}`)
          .map((r) => r["QUERY PLAN"]).join("\n");
        assert.doesNotMatch(
          plan,
          /Seq Scan|Sort\b/,
          `${JSON.stringify(q)}\n${plan}`,
        );
        const rows = await listQuery(sql, q);
        assert.ok(rows.length > 0, JSON.stringify(q));
      }
    }),
});

stopTestCluster(ignore);
