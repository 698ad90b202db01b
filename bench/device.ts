// Benchmark 14, device tests: the service's CPU per 1,000 probes echoed; the
// RTT headless Chromium measures over the data channel on this machine
// against ping's ICMP RTT in the same run; and how many device tests at
// 300 packets/s the service, pinned to one core (taskset), holds at once
// with zero loss. The clients are the terminal client's code (libdatachannel)
// in this process, or Chromium for the RTT row.
import { startServer, stopServer } from "../testing/server_process.ts";
import { runDeviceClient } from "../probe/device/device_client.ts";
import { runCommand } from "../testing/run_command.ts";
import { median } from "./quantile.ts";
import { type BenchRow, num, ratio, skippedRows, verdict } from "./report.ts";
import { findPeers, missingPeer } from "./peers.ts";

const BENCH = "14 Device";
const CONFIG = `servers:
  - { id: lo1, name: lo1, host: 127.0.0.1 }
  - { id: lo2, name: lo2, host: 127.0.0.2 }
  - { id: lo3, name: lo3, host: 127.0.0.3 }
  - { id: lo4, name: lo4, host: 127.0.0.4 }
limits: { max_pps: 100000, max_concurrent_tests: 64, max_tests_per_user: 64, min_interval_ms: 1 }
device_test: { max_concurrent: 64, max_per_client: 64, max_bytes_per_s: 100000000 }
`;

/** User + system CPU seconds of a process so far (/proc/PID/stat). */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(f[11]) + Number(f[12]);
  return ticks / 100;
}

async function echoes(base: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  return Number(/^pla_device_echoes_total (\d+)$/m.exec(text)?.[1] ?? 0);
}

async function withServer<T>(
  fn: (base: string, pid: number) => Promise<T>,
): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "pla-bench-device-" });
  // One core for the service: what "one core holds" means below.
  const server = await startServer({
    dir,
    config: CONFIG,
    wrap: (cmd) => ["taskset", "-c", "0", ...cmd],
  });
  try {
    return await fn(server.base, server.child.pid);
  } finally {
    await stopServer(server);
    await Deno.remove(dir, { recursive: true });
  }
}

/** `k` terminal clients at once; true when every one completed without loss. */
async function concurrent(
  base: string,
  k: number,
  rate: number,
  seconds: number,
): Promise<{ lossless: boolean; lost: number; failed: string[] }> {
  const results = await Promise.all(
    Array.from({ length: k }, () =>
      runDeviceClient({
        server: base,
        request: { size: 160, rate, duration_s: seconds, delay_ms: 1000 },
      }).catch((e) => (e as Error).message)),
  );
  let lost = 0;
  let lossless = true;
  const failed: string[] = [];
  for (const r of results) {
    if (typeof r === "string" || r.status !== "completed" || !r.summary) {
      failed.push(
        typeof r === "string"
          ? r
          : `${r.status}${r.error ? `: ${r.error}` : ""}`,
      );
      lossless = false;
      continue;
    }
    lost += r.summary.round_trip.lost;
    if (r.summary.round_trip.lost > 0) lossless = false;
  }
  return { lossless, lost, failed };
}

/** Service CPU ms per 1,000 probes of an ICMP test at the same rate (4 targets × 300/s × 5 s). */
async function icmpPerK(base: string, pid: number): Promise<number> {
  const c0 = await cpuSeconds(pid);
  const res = await fetch(`${base}/api/tests`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      targets: ["lo1", "lo2", "lo3", "lo4"],
      interval_ms: 1000 / 300,
      count: 1500,
    }),
  });
  const { id } = await res.json();
  while (
    (await (await fetch(`${base}/api/tests/${id}`)).json()).status === "running"
  ) {
    await new Promise((r) => setTimeout(r, 100));
  }
  return (await cpuSeconds(pid) - c0) * 1000 / (4 * 1500 / 1000);
}

async function cpuRow(): Promise<BenchRow> {
  return await withServer(async (base, pid) => {
    const e0 = await echoes(base);
    const c0 = await cpuSeconds(pid);
    await concurrent(base, 4, 300, 5);
    const e1 = await echoes(base);
    const c1 = await cpuSeconds(pid);
    const perK = (c1 - c0) * 1000 / ((e1 - e0) / 1000);
    const icmp = await icmpPerK(base, pid);
    return {
      bench: BENCH,
      figure:
        "service CPU per 1,000 probes echoed (ms; user+sys of the server process from /proc, 4 clients × 300/s × 5 s, 160 B, everything the service does for them: signalling, echo, ledger, probe events, store), against an ICMP test of the same service at the same rate (4 loopback targets × 300/s × 5 s) in the same run",
      ours: num(perK, 1),
      peer: `ICMP test ${num(icmp, 1)}`,
      ratio: ratio(perK, icmp),
      // The device path adds the echo and the ledger to what every probe
      // costs the service (events, store): compared with its ICMP tests.
      target: "≤ 2 × the ICMP test",
      verdict: verdict(perK <= 2 * icmp),
    };
  });
}

async function capacityRow(): Promise<BenchRow> {
  return await withServer(async (base) => {
    let held = 0;
    let note = "";
    for (const k of [1, 2, 4, 6, 8, 12, 16]) {
      const r = await concurrent(base, k, 300, 5);
      if (!r.lossless) {
        note = `at ${k}: ${r.lost} lost${
          r.failed.length
            ? `, ${r.failed.length} not completed (${r.failed[0]})`
            : ""
        }`;
        break;
      }
      held = k;
    }
    return {
      bench: BENCH,
      figure:
        "device tests at 300 packets/s held at once with zero loss, service pinned to one core (taskset -c 0; 1, 2, 4, 6, 8, 12, 16 tried, 5 s each, clients in the bench process)",
      ours: `${held}${note ? ` (${note})` : ""}`,
      peer: "—",
      ratio: "—",
      target: "≥ 4",
      verdict: verdict(held >= 4),
    };
  });
}

async function rttRow(): Promise<BenchRow> {
  const peers = await findPeers();
  const { launchBrowser } = await import("../testing/browser_kit.ts");
  return await withServer(async (base) => {
    const browser = await launchBrowser();
    let id = "";
    try {
      const page = await browser.newPage();
      await page.goto(`${base}/device`);
      await page.fill("input[name=size]", "64");
      await page.fill("input[name=rate]", "50");
      await page.fill("input[name=duration_s]", "5");
      await page.click("[data-testid=device-start]");
      await page.waitForFunction(
        () =>
          document.querySelector("[data-testid=device-status]")
            ?.textContent === "completed",
        null,
        { timeout: 60_000 },
      );
      id = (await page.getAttribute("[data-testid=device-link]", "href"))!
        .split("/").pop()!;
    } finally {
      await browser.close();
    }
    const samples = await (await fetch(
      `${base}/api/tests/${id}/samples?limit=10000`,
    )).json();
    const rtts = (samples.probes as { rtt_ms: number | null }[])
      .flatMap((p) => p.rtt_ms === null ? [] : [p.rtt_ms]);
    const ours = median(rtts);
    let icmp: number | null = null;
    if (peers.ping) {
      const r = await runCommand("ping", [
        "-n",
        "-c",
        "250",
        "-i",
        "0.02",
        "-s",
        "56",
        "127.0.0.1",
      ]);
      const all = [...r.stdout.matchAll(/time=([\d.]+) ms/g)].map((m) =>
        Number(m[1])
      );
      icmp = median(all);
    }
    return {
      bench: BENCH,
      figure:
        "median RTT headless Chromium measures to the service over the data channel on this machine (ms; 250 probes of 64 B at 50/s), against ping's ICMP RTT to 127.0.0.1 in the same run",
      ours: num(ours, 3),
      peer: icmp === null ? missingPeer("ping") : `ping ${num(icmp, 3)}`,
      ratio: ratio(ours, icmp),
      target: "< 2 ms on loopback",
      verdict: verdict(ours !== null && ours < 2),
    };
  });
}

export async function deviceBench(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  rows.push(await cpuRow());
  try {
    const { noBrowser } = await import("../testing/browser_kit.ts");
    rows.push(
      ...(noBrowser
        ? skippedRows(BENCH, "chromium not found (apt-get install chromium)")
        : [await rttRow()]),
    );
  } catch (e) {
    rows.push(...skippedRows(BENCH, `browser: ${(e as Error).message}`));
  }
  rows.push(await capacityRow());
  return rows;
}
