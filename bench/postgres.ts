// Benchmark 12: the PostgreSQL store and replicas, against the embedded KV
// store in the same run.
// - Stored while streaming: one service process, a test of 10 loopback
//   targets at 1 ms (10,000 probes/s offered) for 10 s with an SSE client
//   following it live; events stored per second (the last event id over the
//   test's span from start to end, every probe checked present in a replay
//   from the store) and the server's CPU per 10,000 events, on PostgreSQL and
//   on KV. The engine's offered rate bounds both: this says the store keeps
//   up; what each store alone can write is the next figure.
// - The stores alone (bench/store_write_rate.ts): events per second
//   PgRunStore and KvStore write, fed the same events through the store API.
// - Replica to replica: a test on replica A at 10 ms; a client on replica B
//   and one on A note when each probe event arrives; latency = arrival - the
//   reply's time (sent_at + rtt), p50/p99, B against A.
// - History: 1,000,000 finished tests written with one SQL statement, then
//   history pages through the API (first, filtered by status, by target, a
//   deep cursor), median of 20.
import { type BenchRow, num, ratio, verdict } from "./report.ts";
import { type ServerProcess, startServer } from "./server_process.ts";
import { postTest, readEvents } from "../testing/server_process.ts";
import {
  postgresUnavailableReason,
  startPostgres,
} from "../testing/postgres.ts";
import { connectPg } from "../server/store/pg/pg_client.ts";
import { median, quantile } from "./quantile.ts";
import { storeWriteRates } from "./store_write_rate.ts";

const BENCH = "12 PostgreSQL";
const TARGETS = 10;
const SECONDS = 10;
const HISTORY = 1_000_000;

const CONFIG = `
servers:
${
  Array.from(
    { length: TARGETS },
    (_, i) => `  - { id: l${i}, name: lo${i}, host: 127.0.0.${i + 1} }`,
  ).join("\n")
}
auth: { mode: open }
limits: { min_interval_ms: 1, max_pps: 20000, max_targets: ${TARGETS}, max_concurrent_tests: 10 }
`;

interface StoreRun {
  eventsPerS: number;
  cpuPer10k: number;
  probes: number;
  expected: number;
}

/** One streamed 10,000 probes/s test on a fresh service; env selects the store. */
async function storeRun(env?: Record<string, string>): Promise<StoreRun> {
  const server = await startServer(CONFIG, undefined, env);
  try {
    const count = SECONDS * 1000;
    const cpu0 = await server.cpuSeconds();
    const id = await postTest(server.base, {
      targets: Array.from({ length: TARGETS }, (_, i) => `l${i}`),
      interval_ms: 1,
      count,
      timeout_ms: 500,
    });
    const live = await readEvents(`${server.base}/api/tests/${id}/events`);
    const cpu = await server.cpuSeconds() - cpu0;
    // The test's own span: from its start to its end (stored, every event
    // written: the runner flushes before it ends).
    const meta = await (await fetch(`${server.base}/api/tests/${id}`)).json();
    const seconds =
      (Date.parse(meta.finished_at) - Date.parse(meta.created_at)) / 1000;
    // What is stored: a replay from the store after the end.
    const stored = await readEvents(`${server.base}/api/tests/${id}/events`);
    const last = stored.at(-1)?.id ?? 0;
    if (live.at(-1)?.id !== last) throw new Error("live and stored differ");
    return {
      eventsPerS: last / seconds,
      cpuPer10k: cpu / last * 10_000,
      probes: stored.filter((e) => e.event === "probe").length,
      expected: count * TARGETS,
    };
  } finally {
    await server.stop();
  }
}

/** Latency (ms) of probe events from reply to arrival at a client of each replica. */
async function replicaLatency(url: string) {
  const env = (r: string) => ({ PLA_DATABASE_URL: url, PLA_REPLICA_ID: r });
  const a = await startServer(CONFIG, undefined, env("bench-a"));
  const b = await startServer(CONFIG, undefined, env("bench-b"));
  try {
    const id = await postTest(a.base, {
      targets: ["l0"],
      interval_ms: 10,
      count: 1000,
      timeout_ms: 500,
    });
    const lat = { a: [] as number[], b: [] as number[] };
    const follow = (s: ServerProcess, into: number[]) =>
      readEvents(`${s.base}/api/tests/${id}/events`, {
        onEvent: (e) => {
          const d = e.data as { sent_at?: number; rtt_ms?: number | null };
          if (e.event === "probe" && typeof d.rtt_ms === "number") {
            into.push(Date.now() - (d.sent_at! + d.rtt_ms));
          }
        },
      });
    await Promise.all([follow(a, lat.a), follow(b, lat.b)]);
    return lat;
  } finally {
    await b.stop();
    await a.stop();
  }
}

/** Writes HISTORY finished tests straight into the tables, in SQL. */
async function fillHistory(url: string): Promise<number> {
  const sql = await connectPg(url);
  const t0 = performance.now();
  try {
    await sql.unsafe(`
      insert into pla_tests (id, created_at, status, created_by, finished_at, meta)
      select id, at, st, 'anonymous', at, jsonb_build_object(
          'id', id, 'status', st, 'created_at', at, 'finished_at', at,
          'created_by', 'anonymous',
          'settings', '{"interval_ms":1000,"count":1,"timeout_ms":1000,"size":56}'::jsonb,
          'targets', jsonb_build_array(jsonb_build_object(
            'id', tg, 'name', tg, 'host', '127.0.0.1', 'address', '127.0.0.1')))
      from (
        select 'h' || lpad(i::text, 8, '0') as id,
          -- the last ${HISTORY} seconds: inside the retention the service prunes by
          to_char((now() at time zone 'utc' - (${HISTORY} + 60 - i) * interval '1 second'),
            'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as at,
          (array['completed','stopped','failed','interrupted'])[i % 4 + 1] as st,
          'l' || (i % ${TARGETS}) as tg
        from generate_series(1, ${HISTORY}) as i
      ) g;
      insert into pla_test_targets (test_id, target, created_at, status)
        select id, meta->'targets'->0->>'id', created_at, status from pla_tests
        where id like 'h%';
      analyze pla_tests; analyze pla_test_targets;`);
  } finally {
    await sql.end();
  }
  return (performance.now() - t0) / 1000;
}

async function timeGets(url: string): Promise<number> {
  await (await fetch(url)).arrayBuffer();
  const ms: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    const res = await fetch(url);
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`${url}: ${res.status}`);
    ms.push(performance.now() - t0);
  }
  return median(ms)!;
}

export async function postgresBench(): Promise<BenchRow[]> {
  const why = postgresUnavailableReason();
  if (why) throw new Error(why);
  const pg = await startPostgres();
  const rows: BenchRow[] = [];
  const row = (
    figure: string,
    ours: string,
    peer: string,
    r: string,
    target: string,
    ok: boolean | null,
    miss = "",
  ) =>
    rows.push({
      bench: BENCH,
      figure,
      ours,
      peer,
      ratio: r,
      target,
      verdict: verdict(ok, miss),
    });
  try {
    const onPg = await storeRun({
      PLA_DATABASE_URL: await pg.createDatabase("stream"),
    });
    const onKv = await storeRun();
    row(
      `events stored/s while streaming (${TARGETS}×1 ms for ${SECONDS} s; probes stored ${onPg.probes}/${onPg.expected})`,
      num(onPg.eventsPerS, 0),
      `KV ${num(onKv.eventsPerS, 0)}`,
      ratio(onPg.eventsPerS, onKv.eventsPerS),
      "keeps up with 10,000 probes/s as KV does: every probe stored",
      onPg.eventsPerS >= onKv.eventsPerS * 0.95 &&
        onPg.probes === onPg.expected,
      `${num(onPg.eventsPerS, 0)}/s, ${onPg.probes} of ${onPg.expected}`,
    );
    row(
      "server CPU-seconds per 10,000 events stored",
      num(onPg.cpuPer10k, 3),
      `KV ${num(onKv.cpuPer10k, 3)}`,
      ratio(onPg.cpuPer10k, onKv.cpuPer10k),
      "—",
      null,
    );
    const raw = await storeWriteRates();
    row(
      "events written/s by the store alone (10 logs, 500 events each per flush)",
      num(raw.pg, 0),
      `KV ${num(raw.kv, 0)}`,
      ratio(raw.pg, raw.kv),
      "≥ KV's",
      raw.pg >= raw.kv,
      `${num(raw.pg / raw.kv, 2)}× KV: one row per event against 48 KiB chunks`,
    );
    const lat = await replicaLatency(await pg.createDatabase("replicas"));
    const p99b = quantile(lat.b, 0.99)!;
    row(
      `live latency reply -> SSE client on the other replica, p50 / p99 ms (${lat.b.length} probes)`,
      `${num(median(lat.b), 1)} / ${num(p99b, 1)}`,
      `same replica ${num(median(lat.a), 1)} / ${
        num(quantile(lat.a, 0.99), 1)
      }`,
      ratio(p99b, quantile(lat.a, 0.99)),
      "p99 < 50 ms",
      p99b < 50,
      `p99 ${num(p99b, 1)} ms`,
    );
    const histUrl = await pg.createDatabase("history");
    // The schema first: the service applies it at start.
    await (await startServer(CONFIG, undefined, { PLA_DATABASE_URL: histUrl }))
      .stop();
    const fillS = await fillHistory(histUrl);
    const server = await startServer(CONFIG, undefined, {
      PLA_DATABASE_URL: histUrl,
    });
    try {
      const first = await (await fetch(`${server.base}/api/tests?limit=50`))
        .json();
      let cursor = first.next_cursor as string;
      for (let i = 0; i < 20; i++) {
        const page = await (await fetch(
          `${server.base}/api/tests?limit=1000&cursor=${
            encodeURIComponent(cursor)
          }`,
        )).json();
        cursor = page.next_cursor;
      }
      const pages: [string, string][] = [
        ["first page of 50", "limit=50"],
        ["status=stopped", "limit=50&status=stopped"],
        ["target=l3", "limit=50&target=l3"],
        [
          "20,000 deep (cursor)",
          `limit=50&cursor=${encodeURIComponent(cursor)}`,
        ],
      ];
      for (const [what, q] of pages) {
        const ms = await timeGets(`${server.base}/api/tests?${q}`);
        row(
          `history page with ${
            HISTORY.toLocaleString("en")
          } stored tests: ${what}, median ms (filled in ${num(fillS, 0)} s)`,
          num(ms, 1),
          "—",
          "—",
          "< 100 ms",
          ms < 100,
          `${num(ms, 1)} ms`,
        );
      }
    } finally {
      await server.stop();
    }
  } finally {
    await pg.stop();
  }
  return rows;
}
