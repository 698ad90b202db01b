// Sessions in PostgreSQL: valid through another pool (another replica),
// expired ones ignored and removed, bounded, ids not stored in clear.
import assert from "node:assert/strict";
import postgres from "postgres";
import { gate } from "../../../testing/gate.ts";
import { postgresUnavailableReason } from "../../../testing/postgres.ts";
import {
  freshDatabase,
  stopTestCluster,
} from "../../../testing/pg_test_cluster.ts";
import { PgSessionStore } from "./pg_session_store.ts";

const ignore = gate("PostgreSQL sessions", postgresUnavailableReason());

Deno.test({
  name: "PgSessionStore: shared by replicas, expiring, bounded",
  ignore,
  async fn() {
    const { sql, url } = await freshDatabase();
    const other = postgres(url, { max: 1, onnotice: () => {} });
    try {
      const t = { now: 1_000_000 };
      const a = new PgSessionStore(sql, 1000, 3, () => t.now);
      const b = new PgSessionStore(other, 1000, 3, () => t.now);
      const p = {
        name: "ann",
        role: "operator" as const,
        via: "open" as const,
      };
      const id = await a.create(p);
      assert.deepEqual(await b.get(id), { ...p, via: "session" });
      assert.equal(await b.get("nope"), null);
      const [row] = await sql`select id from pla_sessions`;
      assert.notEqual(row.id, id, "the id is not stored in clear");
      await b.delete(id);
      assert.equal(await a.get(id), null);

      const old = await a.create(p);
      t.now += 1000;
      assert.equal(await a.get(old), null, "expired");
      const ids = [];
      for (let i = 0; i < 5; i++) {
        t.now += 1;
        ids.push(await a.create(p));
      }
      const [{ n }] = await sql`select count(*)::int as n from pla_sessions`;
      assert.equal(n, 3, "at most max rows, the expired one gone");
      assert.equal(await a.get(ids[0]), null, "the oldest went");
      for (const id of ids.slice(2)) assert.ok(await b.get(id));
    } finally {
      await other.end();
      await sql.end();
    }
  },
});

stopTestCluster(ignore);
