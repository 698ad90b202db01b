// Agent ingest: probe records per second one service process (server/main.ts,
// KV store) takes from agents through POST /api/agent/results, stored and
// published (goal: 10,000 probes/s). The "agent" here posts numbered batches
// of synthetic records as fast as they are acknowledged (no ICMP: this
// measures the service side). Run: deno run -A bench/agent_ingest.ts
import { startServer, stopServer } from "../testing/server_process.ts";
import type { ProbeRecord } from "../model/probe.ts";

const RECORDS = 200_000;
const BATCH = 5000;

export async function agentIngest(): Promise<{ probesPerS: number }> {
  const dir = await Deno.makeTempDir({ prefix: "pla-bench-agent-" });
  const server = await startServer({
    dir,
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
    const work = await post("/api/agent/poll", {
      agent: "b",
      site: "lab",
      wait_ms: 0,
    });
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

if (import.meta.main) {
  console.log(JSON.stringify(await agentIngest()));
}
