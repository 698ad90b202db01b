// Two service replicas on one PostgreSQL (a throw-away cluster), each a real
// server process on its own port: a test started on one streams live from the
// other, limits hold across both, a stop asked of one stops the test on the
// other, and a replica killed with SIGKILL mid-test has its test marked
// `interrupted` by the survivor, every flushed event replayable; a firing
// alert stays one firing (one webhook) when its monitor moves to the
// survivor, and both replicas show it firing. Loopback only, bounded counts.
import assert from "node:assert/strict";
import { gate } from "../testing/gate.ts";
import {
  type PgCluster,
  postgresUnavailableReason,
  startPostgres,
} from "../testing/postgres.ts";
import { connectPg } from "../server/store/pg/pg_client.ts";
import {
  getJson,
  postTest,
  readEvents,
  type Server,
  sleep,
  startServer,
  stopServer,
  waitForTestEnd,
} from "../testing/server_process.ts";
import { receiver } from "../server/alerts/alert_testkit.ts";

const ignore = gate("replicas on PostgreSQL", postgresUnavailableReason());

const CONFIG = `
servers:
  - { id: lo, name: loopback, host: 127.0.0.1 }
limits: { max_concurrent_tests: 2, max_tests_per_user: 2 }
monitors:
  - { id: lo-watch, server: lo, step_s: 1, probes: 5 }
`;

async function replicas(
  pg: PgCluster,
  db: string,
  config = CONFIG,
): Promise<{ a: Server; b: Server; dirs: string[] }> {
  const url = await pg.createDatabase(db);
  urls.set(db, url);
  const dirs = [await Deno.makeTempDir(), await Deno.makeTempDir()];
  const [a, b] = await Promise.all(dirs.map((dir, i) =>
    startServer({
      dir,
      config,
      env: { PLA_DATABASE_URL: url, PLA_REPLICA_ID: `replica-${"ab"[i]}` },
    })
  ));
  return { a, b, dirs };
}

const urls = new Map<string, string>();

async function cleanup(servers: Server[], dirs: string[]) {
  await Promise.all(servers.map((s) => stopServer(s)));
  for (const d of dirs) await Deno.remove(d, { recursive: true });
}

Deno.test({
  name: "replicas on PostgreSQL",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const pg = await startPostgres();
    try {
      await t.step(
        "a test started on A streams live from B, complete and in order",
        async () => {
          const { a, b, dirs } = await replicas(pg, "stream");
          try {
            const id = await postTest(a.base, {
              targets: ["lo"],
              interval_ms: 10,
              count: 300,
              timeout_ms: 500,
            });
            const arrived: number[] = [];
            const events = await readEvents(
              `${b.base}/api/tests/${id}/events`,
              {
                onEvent: () => arrived.push(Date.now()),
              },
            );
            assert.deepEqual(
              events.map((e) => e.id),
              events.map((_, i) => i + 1),
            );
            assert.equal(events.filter((e) => e.event === "probe").length, 300);
            assert.equal(events.at(-1)!.event, "end");
            // Live, not a replay after the end: events arrived over the run.
            assert.ok(arrived.at(-1)! - arrived[0] > 1500, "spread over ~3 s");
            const onA = await readEvents(`${a.base}/api/tests/${id}/events`);
            assert.deepEqual(
              onA.map((e) => [e.id, e.event]),
              events.map((e) => [e.id, e.event]),
            );
            const meta = await getJson(`${b.base}/api/tests/${id}`);
            assert.equal(meta.status, "completed");
          } finally {
            await cleanup([a, b] as Server[], dirs);
          }
        },
      );

      await t.step(
        "limits are global; a stop asked of B stops the test on A",
        async () => {
          const { a, b, dirs } = await replicas(pg, "limits");
          try {
            const long = {
              targets: ["lo"],
              interval_ms: 100,
              count: 600,
              timeout_ms: 500,
            };
            const one = await postTest(a.base, long);
            const two = await postTest(b.base, long);
            const third = await fetch(`${a.base}/api/tests`, {
              method: "POST",
              body: JSON.stringify(long),
              headers: { "content-type": "application/json" },
            });
            assert.equal(third.status, 429, await third.text());
            const stop = await fetch(`${b.base}/api/tests/${one}/stop`, {
              method: "POST",
            });
            assert.equal(stop.status, 202, await stop.text());
            const ended = await waitForTestEnd(b.base, one, 10_000);
            assert.equal(ended.status, "stopped");
            await fetch(`${a.base}/api/tests/${two}/stop`, { method: "POST" });
            assert.equal(
              (await waitForTestEnd(a.base, two, 10_000)).status,
              "stopped",
            );
          } finally {
            await cleanup([a, b] as Server[], dirs);
          }
        },
      );

      await t.step(
        "A killed mid-test: B marks it interrupted within seconds; what was stored replays",
        async () => {
          const { a, b, dirs } = await replicas(pg, "kill");
          try {
            const id = await postTest(a.base, {
              targets: ["lo"],
              interval_ms: 10,
              count: 3000,
              timeout_ms: 500,
            });
            const seen: number[] = [];
            const follow = readEvents(`${b.base}/api/tests/${id}/events`, {
              onEvent: (e) => seen.push(e.id),
            });
            await sleep(1500);
            const killedAt = Date.now();
            await stopServer(a, "SIGKILL");
            const events = await follow;
            const tookMs = Date.now() - killedAt;
            assert.ok(tookMs < 10_000, `interrupted after ${tookMs} ms`);
            assert.equal(events.at(-1)!.event, "end");
            assert.equal(events.at(-1)!.data.status, "interrupted");
            const probes = events.filter((e) => e.event === "probe").length;
            assert.ok(probes > 50 && probes < 3000, `${probes} probes`);
            assert.deepEqual(
              events.map((e) => e.id),
              events.map((_, i) => i + 1),
            );
            const meta = await getJson(`${b.base}/api/tests/${id}`);
            assert.equal(meta.status, "interrupted");
            // A replay from B now: the same events.
            const replay = await readEvents(`${b.base}/api/tests/${id}/events`);
            assert.deepEqual(replay.map((e) => e.id), events.map((e) => e.id));
            // B is unaffected: it runs a new test to the end.
            const next = await postTest(b.base, {
              targets: ["lo"],
              interval_ms: 10,
              count: 20,
              timeout_ms: 500,
            });
            assert.equal(
              (await waitForTestEnd(b.base, next, 10_000)).status,
              "completed",
            );
          } finally {
            await cleanup([b], dirs);
          }
        },
      );

      await t.step(
        "each monitor runs on one replica; the survivor takes it over when its holder dies",
        async () => {
          const { a, b, dirs } = await replicas(pg, "leases");
          const sql = await connectPg(urls.get("leases")!);
          const holder = async () =>
            (await sql<{ holder: string }[]>`
              select holder from pla_leases
              where name = 'monitor:lo-watch' and expires_at > now()`)[0]
              ?.holder;
          const points = async (after: number) =>
            (await sql<{ n: number }[]>`
              select count(*)::int as n from pla_monitor_points
              where monitor = 'lo-watch' and res = 'step' and t > ${after}`)[0]
              .n;
          const survivors: Server[] = [a, b];
          try {
            let first: string | undefined;
            for (let i = 0; i < 50 && !first; i++) {
              first = await holder();
              if (!first) await sleep(200);
            }
            assert.ok(first, "one replica holds the monitor's lease");
            // The holder steps it (a point is stored once its step's probes
            // have had their timeout, so allow a few steps).
            const before = Date.now();
            await sleep(5000);
            const n = await points(before - 1000);
            assert.ok(n >= 2, `${n} points in 5 s of 1 s steps`);
            const [dead] = first === "replica-a" ? [a, b] : [b, a];
            await stopServer(dead, "SIGKILL");
            survivors.splice(survivors.indexOf(dead), 1);
            const killedAt = Date.now();
            let taken: string | undefined;
            while (Date.now() - killedAt < 30_000) {
              taken = await holder();
              if (taken && taken !== first) break;
              await sleep(500);
            }
            assert.equal(
              taken,
              first === "replica-a" ? "replica-b" : "replica-a",
            );
            const tookMs = Date.now() - killedAt;
            // Its points are stored once a step's probes have had their timeout.
            await sleep(5000);
            const after = await points(killedAt);
            assert.ok(
              after >= 2,
              `the survivor steps the monitor: ${after} points (took over after ${tookMs} ms)`,
            );
          } finally {
            await sql.end();
            await cleanup(survivors, dirs);
          }
        },
      );

      await t.step(
        "a firing alert stays one firing when its monitor moves to the survivor",
        async () => {
          const rx = receiver();
          // Loopback's median RTT is always above 0.0001 ms: it fires at once.
          const config = `
servers:
  - { id: lo, name: loopback, host: 127.0.0.1 }
notify:
  - { id: hook, type: webhook, url: "${rx.url}" }
monitors:
  - id: lo-alert
    server: lo
    step_s: 1
    probes: 5
    alerts:
      - { name: rtt, median_rtt_ms_above: 0.0001, notify: [hook] }
`;
          const { a, b, dirs } = await replicas(pg, "alerts", config);
          const sql = await connectPg(urls.get("alerts")!);
          const holder = async () =>
            (await sql<{ holder: string }[]>`
              select holder from pla_leases
              where name = 'monitor:lo-alert' and expires_at > now()`)[0]
              ?.holder;
          const firingEvents = async () =>
            (await sql<{ n: number }[]>`
              select count(*)::int as n from pla_alert_events
              where monitor = 'lo-alert' and state = 'firing'`)[0].n;
          const firingOn = async (s: Server) =>
            (await getJson(`${s.base}/api/monitors/lo-alert`)).firing;
          const survivors: Server[] = [a, b];
          try {
            for (let i = 0; i < 100 && rx.hits.length === 0; i++) {
              await sleep(100);
            }
            assert.equal(rx.hits.length, 1, "the firing webhook");
            assert.equal(rx.hits[0].body.state, "firing");
            const first = await holder();
            assert.ok(first);
            const [dead, alive] = first === "replica-a" ? [a, b] : [b, a];
            // The replica not running it shows it firing too (stored states).
            let shown: unknown;
            for (let i = 0; i < 50; i++) {
              shown = await firingOn(alive);
              if (JSON.stringify(shown) === '["rtt"]') break;
              await sleep(100);
            }
            assert.deepEqual(shown, ["rtt"]);
            await stopServer(dead, "SIGKILL");
            survivors.splice(survivors.indexOf(dead), 1);
            const killedAt = Date.now();
            let taken: string | undefined;
            while (Date.now() - killedAt < 30_000) {
              taken = await holder();
              if (taken && taken !== first) break;
              await sleep(500);
            }
            assert.notEqual(taken, first);
            await sleep(4000); // the survivor steps it, still firing
            assert.deepEqual(await firingOn(alive), ["rtt"]);
            assert.equal(await firingEvents(), 1, "no second firing event");
            assert.equal(rx.hits.length, 1, "no second firing webhook");
          } finally {
            await sql.end();
            await cleanup(survivors, dirs);
            await rx.close();
          }
        },
      );
    } finally {
      await pg.stop();
    }
  },
});
