// Benchmark 10: path analysis against mtr on the same chain of real routers
// in the same run (testing/testbed/path_bed.ts): R1 keeps the kernel's ICMP
// rate limit, R3 drops 20 % of arriving echo requests (nftables). Each tool
// runs alone, ROUNDS rounds at 100 ms, IPv4, no DNS, while tcpdump captures
// the prober's interface: the capture's kernel timestamps are the wire truth
// for every probe's RTT and fate (bench/pcap_rtts.ts). Figures: the hops and
// the destination, loss per hop against the wire, the mean per-hop error of
// the average RTT against the wire, where each tool's output says loss starts
// (ours: loss_origin; mtr: the first hop showing loss, as its table is read),
// and CPU per round (whole process, /usr/bin/time, a ROUNDS run minus a
// 1-round run, divided by ROUNDS - 1: start-up cost left out for both).
import { type BenchRow, num, ratio, skippedRows, verdict } from "./report.ts";
import { runTimed, type TimedResult } from "./run_timed.ts";
import { runCommand } from "../testing/run_command.ts";
import { taskPermissions } from "../testing/deno_flags.ts";
import {
  createPathBed,
  type PathBed,
  pathBedUnavailableReason,
} from "../testing/testbed/path_bed.ts";
import { wireHops, wireProbes } from "./pcap_rtts.ts";

const BENCH = "10 Path";
const ROUNDS = 100;
const INTERVAL_S = 0.1;
const MAX_HOPS = 8;
const LOSS_PCT = 20;
const CLI = decodeURIComponent(
  new URL("../probe/cli.ts", import.meta.url).pathname,
);

interface HopView {
  hop: number;
  address: string | null;
  lossPct: number;
  avgMs: number | null;
}

interface ToolRun {
  hops: HopView[];
  /** The hop where the tool says (or its table shows) loss starts. */
  lossStarts: number | null;
  cpuSeconds: number;
  /** Per-hop truth of this run's probes, from the capture. */
  wire: ReturnType<typeof wireHops>;
}

async function withCapture(
  dev: string,
  run: () => Promise<Omit<ToolRun, "wire">>,
): Promise<ToolRun> {
  const file = await Deno.makeTempFile({ suffix: ".pcap" });
  const tcpdump = new Deno.Command("tcpdump", {
    args: [
      "-i",
      dev,
      "-n",
      "-U",
      "--time-stamp-precision=nano",
      "-w",
      file,
      "icmp",
    ],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  // tcpdump says "listening on" once its socket is bound.
  const reader = tcpdump.stderr.getReader();
  const decoder = new TextDecoder();
  let said = "";
  while (!said.includes("listening on")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`tcpdump ended: ${said}`);
    said += decoder.decode(value);
  }
  try {
    const r = await run();
    await new Promise((res) => setTimeout(res, 200));
    tcpdump.kill("SIGINT");
    reader.releaseLock();
    await tcpdump.stderr.cancel();
    await tcpdump.status;
    const probes = wireProbes(await Deno.readFile(file));
    return { ...r, wire: wireHops(probes, () => true, 1000) };
  } finally {
    try {
      tcpdump.kill("SIGKILL");
    } catch {
      // ended
    }
    await Deno.remove(file).catch(() => {});
  }
}

function ourArgs(dest: string, rounds: number): string[] {
  return [
    "run",
    ...taskPermissions("probe"),
    CLI,
    "--path",
    "--host",
    dest,
    "--count",
    String(rounds),
    "--interval",
    `${INTERVAL_S * 1000}ms`,
    "--max-hops",
    String(MAX_HOPS),
    "-n",
    "--output",
    "json",
  ];
}

function checked(r: TimedResult, what: string): TimedResult {
  if (r.code > 1) {
    throw new Error(`${what} exit ${r.code}: ${r.stderr.slice(-300)}`);
  }
  return r;
}

async function ours(dest: string): Promise<Omit<ToolRun, "wire">> {
  const r = checked(
    await runTimed(Deno.execPath(), ourArgs(dest, ROUNDS)),
    "probe",
  );
  const records = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
  const path = records.find((x) => x.type === "path");
  if (!path) throw new Error("no path record from the CLI");
  return {
    hops: path.hops.map((h: Record<string, number & string>) => ({
      hop: h.hop,
      address: h.hop_address,
      lossPct: h.loss_pct,
      avgMs: h.avg_rtt_ms,
    })),
    lossStarts: path.loss_origin,
    cpuSeconds: r.cpuSeconds,
  };
}

function mtrArgs(dest: string, rounds: number): string[] {
  return [
    "--report",
    "--json",
    "-n",
    "-c",
    String(rounds),
    "-i",
    String(INTERVAL_S),
    "-m",
    String(MAX_HOPS),
    dest,
  ];
}

async function mtr(dest: string): Promise<Omit<ToolRun, "wire">> {
  const r = checked(await runTimed("mtr", mtrArgs(dest, ROUNDS)), "mtr");
  const hubs = JSON.parse(r.stdout).report.hubs as {
    count: number;
    host: string;
    "Loss%": number;
    Avg: number;
  }[];
  const hops = hubs.map((h) => ({
    hop: h.count,
    address: h.host === "???" ? null : h.host,
    lossPct: h["Loss%"],
    avgMs: h.host === "???" ? null : h.Avg,
  }));
  return {
    hops,
    lossStarts: hops.find((h) => h.lossPct > 0)?.hop ?? null,
    cpuSeconds: r.cpuSeconds,
  };
}

/** Mean over hops of |reported average RTT − the wire's|, µs. */
function rttError(run: ToolRun): number | null {
  const errs: number[] = [];
  for (const h of run.hops) {
    const w = run.wire.find((x) => x.hop === h.hop);
    if (h.avgMs === null || !w || w.avgRttMs === null) continue;
    errs.push(Math.abs(h.avgMs - w.avgRttMs) * 1000);
  }
  return errs.length ? errs.reduce((a, b) => a + b, 0) / errs.length : null;
}

const lossList = (hops: { lossPct: number }[]) =>
  hops.map((h) => num(h.lossPct, 0)).join(" / ");

function wireLoss(run: ToolRun): { hop: number; lossPct: number }[] {
  return run.hops.map((h) => {
    const w = run.wire.find((x) => x.hop === h.hop);
    return {
      hop: h.hop,
      lossPct: w && w.sent ? 100 * (1 - w.received / w.sent) : NaN,
    };
  });
}

/** Marginal CPU per round, ms: (CPU of ROUNDS − CPU of 1) / (ROUNDS − 1). */
async function cpuPerRound(
  full: number,
  cmd: string,
  args: string[],
): Promise<number> {
  const one = checked(await runTimed(cmd, args), cmd);
  return (full - one.cpuSeconds) / (ROUNDS - 1) * 1000;
}

export async function pathBench(): Promise<BenchRow[]> {
  const why = await pathBedUnavailableReason();
  if (why) return skippedRows(BENCH, why);
  for (const tool of ["mtr", "tcpdump"]) {
    const ok = await runCommand("which", [tool]).catch(() => null);
    if (ok?.code !== 0) {
      return skippedRows(
        BENCH,
        `'${tool}' not found: apt-get install -y ${
          tool === "mtr" ? "mtr-tiny" : tool
        }`,
      );
    }
  }
  await using bed: PathBed = await createPathBed({ rateLimited: ["R1"] });
  await bed.setLoss("R3", LOSS_PCT);
  const dest = bed.destination.v4;
  const dev = JSON.parse(
    (await runCommand("ip", ["-j", "route", "get", dest])).stdout,
  )[0].dev as string;
  const a = await withCapture(dev, () => ours(dest));
  const b = await withCapture(dev, () => mtr(dest));
  const aCpu = await cpuPerRound(
    a.cpuSeconds,
    Deno.execPath(),
    ourArgs(dest, 1),
  );
  const bCpu = await cpuPerRound(b.cpuSeconds, "mtr", mtrArgs(dest, 1));

  const expected = bed.hops.v4;
  const sameHops = (r: ToolRun) =>
    r.hops.map((h) => h.address).join() === expected.join();
  const destLoss = (r: ToolRun) => r.hops.at(-1)?.lossPct ?? null;
  const wireDest = (r: ToolRun) => wireLoss(r).at(-1)?.lossPct ?? null;
  const aErr = rttError(a), bErr = rttError(b);
  const lossy = 3; // R3
  return [
    {
      bench: BENCH,
      figure: `hops found (expected ${expected.length}, destination last)`,
      ours: `${a.hops.length}${sameHops(a) ? " (the routers)" : " (wrong)"}`,
      peer: `mtr ${b.hops.length}${sameHops(b) ? " (the routers)" : ""}`,
      ratio: "—",
      target: "the same hops as mtr",
      verdict: verdict(sameHops(a) && a.hops.length === b.hops.length),
    },
    {
      bench: BENCH,
      figure: `destination loss % (R3 drops ${LOSS_PCT} %; wire: ours ${
        num(wireDest(a), 1)
      }, mtr ${num(wireDest(b), 1)})`,
      ours: num(destLoss(a), 1),
      peer: `mtr ${num(destLoss(b), 1)}`,
      ratio: ratio(destLoss(a), destLoss(b)),
      target: "= the wire's",
      verdict: verdict(
        destLoss(a) !== null &&
          Math.abs(destLoss(a)! - wireDest(a)!) < 0.05,
        `wire ${num(wireDest(a), 1)}`,
      ),
    },
    {
      bench: BENCH,
      figure: "loss % per hop 1 / 2 / 3 / 4 (R1 rate-limits ICMP)",
      ours: lossList(a.hops),
      peer: `mtr ${lossList(b.hops)}`,
      ratio: "—",
      target: "—",
      verdict: "—",
    },
    {
      bench: BENCH,
      figure: "mean per-hop |avg RTT − wire| (µs)",
      ours: num(aErr, 1),
      peer: `mtr ${num(bErr, 1)}`,
      ratio: ratio(aErr, bErr),
      target: "below mtr's",
      verdict: verdict(aErr !== null && bErr !== null && aErr < bErr),
    },
    {
      bench: BENCH,
      figure:
        `where loss starts (R3 = hop ${lossy} drops; R1 = hop 1 only rate-limits)`,
      ours: a.lossStarts === null ? "none" : `hop ${a.lossStarts}`,
      peer: `mtr: first lossy hop ${b.lossStarts ?? "none"}`,
      ratio: "—",
      target: `hop ${lossy}, hop 1 not blamed`,
      verdict: verdict(a.lossStarts === lossy),
    },
    {
      bench: BENCH,
      figure: `CPU per round (ms; ${ROUNDS} rounds minus 1, whole process)`,
      ours: num(aCpu, 2),
      peer: `mtr ${num(bCpu, 2)}`,
      ratio: ratio(aCpu, bCpu),
      target: "—",
      verdict: "—",
    },
  ];
}

if (import.meta.main) {
  const { markdownTable } = await import("./report.ts");
  console.log(markdownTable(await pathBench()));
}
