// The service on PostgreSQL (PLA_DATABASE_URL), two processes on one
// database: a test started on one is in the other's history and replays
// there; a sign-in on one is valid on the other (and a sign-out ends it
// there too); the audit trail is shared; the database password is never
// printed.
import assert from "node:assert/strict";
import { gate } from "../testing/gate.ts";
import { postgresUnavailableReason } from "../testing/postgres.ts";
import { freshDatabase, stopTestCluster } from "../testing/pg_test_cluster.ts";
import {
  type Server,
  sleep,
  startServer,
  stopServer,
} from "../testing/server_process.ts";
import {
  authConfigYaml,
  bearer,
  PASSWORD,
  USERS,
} from "../testing/auth_testkit.ts";
import { readSse, type SseMessage } from "../testing/sse.ts";

const ignore = gate("service on PostgreSQL", postgresUnavailableReason());
const DB_PASSWORD = "s3cret-db-pw";

async function replay(base: string, id: string): Promise<SseMessage[]> {
  const out: SseMessage[] = [];
  await readSse(
    `${base}/api/tests/${id}/events`,
    (events) => {
      out.push(...events);
      return events.some((e) => e.event === "end");
    },
    undefined,
    { headers: bearer("viewer") },
  );
  return out;
}

Deno.test({
  name:
    "two service processes on one PostgreSQL share history, sessions and audit",
  ignore,
  async fn() {
    const { sql, url } = await freshDatabase();
    await sql.end();
    // Trust authentication ignores the password: it is there to be hidden.
    const dbUrl = url.replace("//pla@", `//pla:${DB_PASSWORD}@`);
    const config = await authConfigYaml();
    const servers: Server[] = [];
    const dirs: string[] = [];
    try {
      for (const replica of ["a", "b"]) {
        const dir = await Deno.makeTempDir({ prefix: `pla-pg-${replica}-` });
        dirs.push(dir);
        servers.push(
          await startServer({
            dir,
            config,
            env: { PLA_DATABASE_URL: dbUrl, PLA_REPLICA_ID: replica },
          }),
        );
      }
      const [a, b] = servers;
      const configLine = a.output().split("\n").find((l) =>
        l.includes('"msg":"config"')
      )!;
      assert.equal(JSON.parse(configLine).store, "postgres");
      assert.match(configLine, /pla:\*\*\*@/);

      const started = await fetch(`${a.base}/api/tests`, {
        method: "POST",
        body: JSON.stringify({
          targets: ["localhost-v4"],
          count: 20,
          interval_ms: 10,
        }),
        headers: { ...bearer("operator"), "content-type": "application/json" },
      });
      assert.equal(started.status, 201);
      const { id } = await started.json();

      // B reads it from the database, running and then finished.
      let meta;
      for (let i = 0; i < 150; i++) {
        const res = await fetch(`${b.base}/api/tests/${id}`, {
          headers: bearer("viewer"),
        });
        meta = await res.json();
        assert.equal(res.status, 200, JSON.stringify(meta));
        if (meta.status !== "running") break;
        await sleep(100);
      }
      assert.equal(meta.status, "completed");
      const fromB = await replay(b.base, id);
      assert.deepEqual(fromB, await replay(a.base, id));
      assert.equal(fromB.filter((e) => e.event === "probe").length, 20);
      assert.equal(fromB.at(-1)?.event, "end");
      const list = await (await fetch(`${b.base}/api/tests`, {
        headers: bearer("viewer"),
      })).json();
      assert.equal(list.tests[0].id, id);

      // Signed in on A, signed in on B; signed out on B, out on A too.
      const login = await fetch(`${a.base}/login`, {
        method: "POST",
        redirect: "manual",
        body: new URLSearchParams({
          username: USERS.admin,
          password: PASSWORD,
          next: "/",
        }),
        headers: { origin: a.base },
      });
      assert.equal(login.status, 303);
      await login.body?.cancel();
      const cookie = login.headers.get("set-cookie")!.split(";")[0];
      const audit = await fetch(`${b.base}/api/audit`, { headers: { cookie } });
      assert.equal(audit.status, 200);
      const entries = (await audit.json()).entries;
      assert.deepEqual([entries[0].action, entries[0].test_id], ["start", id]);
      const logout = await fetch(`${b.base}/logout`, {
        method: "POST",
        redirect: "manual",
        headers: { cookie, origin: b.base },
      });
      assert.equal(logout.status, 303);
      await logout.body?.cancel();
      const after = await fetch(`${a.base}/api/audit`, { headers: { cookie } });
      assert.equal(after.status, 401);
      await after.body?.cancel();
    } finally {
      for (const s of servers) await stopServer(s);
      for (const s of servers) {
        assert.ok(!s.output().includes(DB_PASSWORD), s.output());
      }
      for (const d of dirs) await Deno.remove(d, { recursive: true });
    }
  },
});

Deno.test("a database that cannot be reached or a bad URL: the server does not start, says why, hides the password", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pla-pg-bad-" });
  try {
    for (
      const [url, message] of [
        [
          `postgres://pla:${DB_PASSWORD}@127.0.0.1:1/pla`,
          /^pla: cannot connect to PostgreSQL at postgres:\/\/pla:\*\*\*@127\.0\.0\.1:1\/pla: /m,
        ],
        [
          `mysql://pla:${DB_PASSWORD}@db/pla`,
          /^pla: PLA_DATABASE_URL: must be a postgres:\/\/ or postgresql:\/\/ URL/m,
        ],
      ] as const
    ) {
      const e = await startServer({
        dir,
        config: "servers: [{ id: lo, name: L, host: 127.0.0.1 }]\n",
        env: { PLA_DATABASE_URL: url },
      }).then((s) => stopServer(s), (e: Error) => e);
      assert.ok(e instanceof Error, "the server must not start");
      assert.match(e.message, message);
      assert.ok(!e.message.includes(DB_PASSWORD), e.message);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

stopTestCluster(ignore);
