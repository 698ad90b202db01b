// `deno task bench`: runs every benchmark, this project against ping and
// fping in the same run, and prints one markdown table (with the machine).
// --write also puts it into BENCHMARKS.md; --only=accuracy,fanout,... runs some.
import { accuracyBench } from "./accuracy.ts";
import { throughputBench } from "./throughput.ts";
import { livePathBench } from "./live_path.ts";
import { fanoutBench } from "./fanout.ts";
import { pageBench } from "./page.ts";
import { longTestBench } from "./long_run.ts";
import { statsCostBench } from "./stats_cost.ts";
import { cliBench } from "./cli.ts";
import { historyBench } from "./history.ts";
import { pathBench } from "./path.ts";
import { monitorsBench } from "./monitors.ts";
import { postgresBench } from "./postgres.ts";
import { agentsBench } from "./agent_ingest.ts";
import { tcpProbesBench } from "./tcp_probes.ts";
import { bigTestsBench } from "./big_tests.ts";
import { deviceBench } from "./device.ts";
import { type BenchRow, markdownTable, skippedRows } from "./report.ts";
import { findPeers, missingPeer } from "./peers.ts";
import { describeMachine } from "./machine.ts";
import { writeResults } from "./results_file.ts";

const BENCHES: [string, string, () => Promise<BenchRow[]>][] = [
  ["accuracy", "1 Accuracy", accuracyBench],
  ["throughput", "2 Throughput", throughputBench],
  ["live", "3 Live path", livePathBench],
  ["fanout", "4 Fan-out", fanoutBench],
  ["page", "5 Page", pageBench],
  ["long", "6 Long test", longTestBench],
  ["stats", "7 Live stats", statsCostBench],
  ["cli", "8 CLI", cliBench],
  ["history", "9 History", historyBench],
  ["path", "10 Path", pathBench],
  ["monitors", "11 Monitors", monitorsBench],
  ["postgres", "12 PostgreSQL", postgresBench],
  ["agents", "13 Agents", agentsBench],
  ["tcp", "15 TCP probes", tcpProbesBench],
  ["big", "16 Big tests", bigTestsBench],
  ["device", "14 Device", deviceBench],
];

const USAGE = `Usage: deno task bench [--write] [--only=${
  BENCHES.map((b) => b[0]).join(",")
}]`;

let write = false;
let only: Set<string> | null = null;
for (const arg of Deno.args) {
  if (arg === "--write") write = true;
  else if (arg.startsWith("--only=")) {
    only = new Set(arg.slice(7).split(",").filter((x) => x));
    const unknown = [...only].filter((n) => !BENCHES.some((b) => b[0] === n));
    if (unknown.length) {
      console.error(`bench: unknown benchmark ${unknown.join(", ")}\n${USAGE}`);
      Deno.exit(2);
    }
  } else {
    console.error(`bench: unknown argument "${arg}"\n${USAGE}`);
    Deno.exit(2);
  }
}

const peers = await findPeers();
for (const name of ["ping", "fping"] as const) {
  if (!peers[name]) console.error(`bench: ${missingPeer(name)}`);
}
const rows: BenchRow[] = [];
const t0 = performance.now();
for (const [key, title, run] of BENCHES) {
  if (only && !only.has(key)) continue;
  const t = performance.now();
  console.error(`bench: ${title} ...`);
  try {
    rows.push(...await run());
  } catch (e) {
    rows.push(...skippedRows(title, `failed: ${(e as Error).message}`));
  }
  console.error(
    `bench: ${title} done in ${((performance.now() - t) / 1000).toFixed(0)} s`,
  );
}
const machine = await describeMachine(peers);
const table = markdownTable(rows);
console.log(`${machine}\n\n${table}`);
console.error(
  `bench: all done in ${((performance.now() - t0) / 1000).toFixed(0)} s`,
);
if (write) {
  if (only) {
    console.error("bench: --write needs the full run (no --only); not written");
    Deno.exit(2);
  }
  const file = new URL("../BENCHMARKS.md", import.meta.url);
  await writeResults(file, machine, table);
  console.error(`bench: wrote ${decodeURIComponent(file.pathname)}`);
}
