// Agent ingest: probe records per second one service process (server/main.ts,
// KV store) takes from agents through POST /api/agent/results, stored and
// published (goal: 10,000 probes/s). The "agent" here posts numbered batches
// of synthetic records as fast as they are acknowledged (no ICMP: this
// measures the service side): benchmark 13, on the KV file and on PostgreSQL.
import { startServer, stopServer } from "../testing/server_process.ts";
import type { ProbeRecord } from "../model/probe.ts";
import { type BenchRow, num, verdict } from "./report.ts";
import {
  postgresUnavailableReason,
  startPostgres,
} from "../testing/postgres.ts";

const RECORDS = 200_000;
const BATCH = 5000;

export async function agentIngest(
  /** PLA_DATABASE_URL for a PostgreSQL-backed service; default the KV file. */
  env?: Record<string, string>,
): Promise<{ probesPerS: number }> {
  const dir = await Deno.makeTempDir({ prefix: "pla-bench-agent-" });
  const server = await startServer({
    dir,
    env,
    config: `servers:
  - { id: far, name: Far, host: 127.0.0.1, site: lab }
limits: { max_count: ${RECORDS}, max_pps: 100000, max_duration_s: 86400 }
`,
  });
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${server.base}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const json = await res.json();
    if (!res.ok) {
      throw new Error(`${path}: ${res.status} ${JSON.stringify(json)}`);
    }
    return json;
  };
  try {
    await post("/api/agent/poll", { agent: "b", site: "lab", wait_ms: 0 });
    const test = await post("/api/tests", {
      targets: ["far"],
      count: RECORDS,
      interval_ms: 10,
    });
    // The assignment is queued as the test starts; a long poll waits for it.
    const work = await post("/api/agent/poll", {
      agent: "b",
      site: "lab",
      wait_ms: 10_000,
    });
    if (!work.assignments?.length) {
      throw new Error(`no assignment: ${JSON.stringify(work)}`);
    }
    const key = work.assignments[0].run_key;
    const t0 = performance.now();
    for (let first = 0; first < RECORDS; first += BATCH) {
      const records = [];
      for (let i = first; i < first + BATCH; i++) {
        const record: ProbeRecord = {
          target: "far@lab",
          address: "127.0.0.1",
          index: i,
          seq: (i + 1) % 65536,
          sent_at: Date.now(),
          rtt_ms: 0.05,
          status: "ok",
          ttl: 64,
          ts_source: "kernel",
        };
        records.push({ seq: i + 1, record });
      }
      const last = first + BATCH >= RECORDS;
      await post("/api/agent/results", {
        agent: "b",
        run_key: key,
        records,
        ...(last ? { done: { seq: RECORDS, stopped: false } } : {}),
      });
    }
    // Stored: the test has ended once every event is written.
    for (;;) {
      const meta = await (await fetch(`${server.base}/api/tests/${test.id}`))
        .json();
      if (meta.status !== "running") break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const s = (performance.now() - t0) / 1000;
    return { probesPerS: Math.round(RECORDS / s) };
  } finally {
    await stopServer(server);
    await Deno.remove(dir, { recursive: true });
  }
}

/** Benchmark 13: probes per second one service stores from an agent, on KV and on PostgreSQL. */
export async function agentsBench(): Promise<BenchRow[]> {
  const kv = await agentIngest();
  const rows: BenchRow[] = [];
  const why = postgresUnavailableReason();
  let pgRate: number | null = null;
  if (!why) {
    const pg = await startPostgres();
    try {
      pgRate = (await agentIngest({ PLA_DATABASE_URL: pg.url })).probesPerS;
    } finally {
      await pg.stop();
    }
  }
  for (
    const [store, rate] of [["KV", kv.probesPerS], [
      "PostgreSQL",
      pgRate,
    ]] as const
  ) {
    rows.push({
      bench: "13 Agents",
      figure: `probes/s stored from an agent (${
        RECORDS.toLocaleString("en")
      } records in batches of ${BATCH}), service on ${store}`,
      ours: rate === null ? "n/a" : num(rate, 0),
      peer: "—",
      ratio: "—",
      target: "≥ 10,000",
      verdict: rate === null
        ? `skipped: ${why}`
        : verdict(rate >= 10_000, `${num(rate, 0)}/s`),
    });
  }
  return rows;
}

if (import.meta.main) console.log(await agentsBench());
