import { startPostgres } from "./testing/postgres.ts";
import { startServer, stopServer } from "./testing/server_process.ts";
import { connectPg } from "./server/store/pg/pg_client.ts";
const pg = await startPostgres();
const dir = await Deno.makeTempDir();
const cfg = `
servers:
  - { id: lo, name: loopback, host: 127.0.0.1 }
limits: { max_concurrent_tests: 2, max_tests_per_user: 2 }
`;
const s = await startServer({
  dir,
  config: cfg,
  env: { PLA_DATABASE_URL: pg.url, PLA_REPLICA_ID: "ra" },
});
const dir2 = await Deno.makeTempDir();
const s2 = await startServer({
  dir: dir2,
  config: cfg,
  env: { PLA_DATABASE_URL: pg.url, PLA_REPLICA_ID: "rb" },
});
const body = JSON.stringify({
  targets: ["lo"],
  interval_ms: 100,
  count: 600,
  timeout_ms: 500,
});
for (let i = 0; i < 3; i++) {
  const r = await fetch(`${(i == 1 ? s2 : s).base}/api/tests`, {
    method: "POST",
    body,
    headers: { "content-type": "application/json" },
  });
  console.log(r.status, (await r.text()).slice(0, 100));
}
const sql = await connectPg(pg.url);
console.log(
  await sql`select id, status, owner, pg_typeof(meta) from pla_tests`,
);
await sql.end();
await stopServer(s);
await stopServer(s2);
console.log(s2.output().slice(-1500));
console.log(s.output().slice(-1500));
await pg.stop();
