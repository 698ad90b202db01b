// Benchmark 8: the probe CLI as a user runs it, whole process: `deno task
// probe` (the task runner, its build:shim check, Deno's start-up, the run,
// the live lines and the final table) against fping on the same targets in
// the same run. 1,000 addresses of 127.0.0.0/8 (the loopback interface
// answers all of them, in the kernel, so every probe lost is a false loss)
// × 20 probes at 100 ms; then one probe to 127.0.0.1, against ping -c 1.
import { median } from "./quantile.ts";
import { type BenchRow, num, ratio, skippedRows, verdict } from "./report.ts";
import {
  findPeers,
  fpingCounts,
  missingPeer,
  versusFpingRows,
} from "./peers.ts";

const REPO = decodeURIComponent(new URL("..", import.meta.url).pathname);
const BENCH = "8 CLI";
const TARGETS = 1000;
const COUNT = 20;
const INTERVAL_MS = 100;
const REPEATS = 5;
const SINGLE_REPEATS = 10;
/** The one-probe run must end well within this (wall, whole process). */
const SINGLE_TARGET_MS = 500;

/** 127.1.0.1 … 127.1.3.250: 1,000 loopback addresses, none of them 127.0.0.1. */
export function loopbackAddresses(n: number): string[] {
  return Array.from(
    { length: n },
    (_, i) => `127.1.${Math.floor(i / 250)}.${1 + i % 250}`,
  );
}

interface Timed {
  code: number;
  stdout: string;
  stderr: string;
  /** User + sys of the process and every descendant it waited for. */
  cpuSeconds: number;
  wallMs: number;
}

/** Decodes a stream as it comes, keeping no buffer. */
async function text(stream: ReadableStream<Uint8Array>): Promise<string> {
  const decoder = new TextDecoder();
  const parts: string[] = [];
  for await (const chunk of stream) {
    parts.push(decoder.decode(chunk, { stream: true }));
  }
  parts.push(decoder.decode());
  return parts.join("");
}

const TIME_FORMAT = "PLA-CLI-TIME %U %S";

/**
 * Runs the command under /usr/bin/time (CPU of the whole process tree).
 * Output is read as a stream: Deno.Command's output() grew to over 1 GiB of
 * buffers here on the CLI's 1,000 writes of 1.3 MB in all.
 */
async function runTimed(
  cmd: string,
  args: string[],
  cwd?: string,
): Promise<Timed> {
  const t0 = performance.now();
  const child = new Deno.Command("/usr/bin/time", {
    args: ["-f", TIME_FORMAT, cmd, ...args],
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const [stdout, stderr, status] = await Promise.all([
    text(child.stdout),
    text(child.stderr),
    child.status,
  ]);
  const wallMs = performance.now() - t0;
  const m = /PLA-CLI-TIME ([\d.]+) ([\d.]+)\s*$/.exec(stderr);
  if (!m) {
    throw new Error(`no timing from /usr/bin/time: ${stderr.slice(-300)}`);
  }
  return {
    code: status.code,
    stdout,
    stderr: stderr.slice(0, m.index),
    cpuSeconds: Number(m[1]) + Number(m[2]),
    wallMs,
  };
}

interface Sample {
  cpu: number;
  wallS: number;
  sent: number;
  lost: number;
}

/** `deno task probe`, as a user types it, under /usr/bin/time. */
function denoTaskProbe(args: string[]): Promise<Timed> {
  return runTimed(Deno.execPath(), ["task", "probe", ...args], REPO);
}

/** Sent and lost over the rows of the CLI's final table. */
function tableTotals(stdout: string): { sent: number; lost: number } {
  const lines = stdout.split("\n");
  const head = lines.findIndex((l) => l.startsWith("--- statistics"));
  if (head < 0) throw new Error("no statistics table in the CLI's output");
  let sent = 0, received = 0;
  for (const line of lines.slice(head + 2)) {
    const cells = line.trim().split(/\s+/);
    if (cells.length < 4) continue;
    sent += Number(cells[2]);
    received += Number(cells[3]);
  }
  return { sent, lost: sent - received };
}

async function ours(hosts: string[]): Promise<Sample> {
  const r = await denoTaskProbe([
    ...hosts.flatMap((h) => ["--host", h]),
    "--count",
    String(COUNT),
    "--interval",
    `${INTERVAL_MS}ms`,
  ]);
  if (r.code > 1) {
    throw new Error(`deno task probe exit ${r.code}: ${r.stderr.slice(-300)}`);
  }
  const { sent, lost } = tableTotals(r.stdout);
  if (sent !== hosts.length * COUNT) {
    throw new Error(`the CLI reported ${sent} of ${hosts.length * COUNT}`);
  }
  return { cpu: r.cpuSeconds, wallS: r.wallMs / 1000, sent, lost };
}

/** fping as documented: -C 20 -p 100, -i spreading a round over the interval; its default output. */
async function fping(file: string, n: number): Promise<Sample> {
  const r = await runTimed("fping", [
    "-C",
    String(COUNT),
    "-p",
    String(INTERVAL_MS),
    "-i",
    String(INTERVAL_MS / n),
    "-f",
    file,
  ]);
  const { sent, lost } = fpingCounts(r, n * COUNT);
  return { cpu: r.cpuSeconds, wallS: r.wallMs / 1000, sent, lost };
}

export async function cliBench(): Promise<BenchRow[]> {
  const peers = await findPeers();
  // Can this machine probe at all (ICMP privilege, shim)? One probe says.
  const probeOnce = await denoTaskProbe([
    "--host",
    "127.0.0.1",
    "--count",
    "1",
  ]);
  if (probeOnce.code !== 0) {
    return skippedRows(
      BENCH,
      `deno task probe exit ${probeOnce.code}: ${
        probeOnce.stderr.trim().split("\n").at(-1)
      }`,
    );
  }
  const hosts = loopbackAddresses(TARGETS);
  const file = await Deno.makeTempFile({ prefix: "pla-cli-targets-" });
  const oursRuns: Sample[] = [];
  const fpingRuns: Sample[] = [];
  const single: number[] = [];
  const singleCpu: number[] = [];
  const pingSingle: number[] = [];
  try {
    await Deno.writeTextFile(file, hosts.join("\n") + "\n");
    // Alternated, so load from elsewhere falls on both alike.
    for (let i = 0; i < REPEATS; i++) {
      oursRuns.push(await ours(hosts));
      if (peers.fping) fpingRuns.push(await fping(file, hosts.length));
    }
    for (let i = 0; i < SINGLE_REPEATS; i++) {
      const r = await denoTaskProbe(["--host", "127.0.0.1", "--count", "1"]);
      if (r.code !== 0) throw new Error(`one probe: exit ${r.code}`);
      single.push(r.wallMs);
      singleCpu.push(r.cpuSeconds * 1000);
      if (peers.ping) {
        const p = await runTimed("ping", ["-c", "1", "-W", "1", "127.0.0.1"]);
        if (p.code === 0) pingSingle.push(p.wallMs);
      }
    }
  } finally {
    await Deno.remove(file).catch(() => {});
  }
  const oneMs = median(single);
  const pingMs = median(pingSingle);
  const workload =
    `${TARGETS} loopback addresses × ${COUNT} at ${INTERVAL_MS} ms`;
  return [
    ...versusFpingRows(BENCH, oursRuns, fpingRuns, {
      cpu:
        `CPU s (user+sys, whole process tree), \`deno task probe\`, ${workload}, median of ${REPEATS}`,
      wall: "wall time s (task start-up to exit)",
      loss:
        `false loss (probes lost; loopback answers every one), ${REPEATS} runs`,
    }, (s) => s.lost),
    {
      bench: BENCH,
      figure:
        `\`deno task probe --host 127.0.0.1 --count 1\`, wall ms, median of ${SINGLE_REPEATS} (CPU ${
          num(median(singleCpu), 0)
        } ms)`,
      ours: num(oneMs, 0),
      peer: peers.ping ? `ping -c 1 ${num(pingMs, 0)}` : missingPeer("ping"),
      ratio: ratio(oneMs, pingMs),
      target: `< ${SINGLE_TARGET_MS} ms`,
      verdict: verdict(
        oneMs !== null && oneMs < SINGLE_TARGET_MS,
        `${num(oneMs, 0)} ms`,
      ),
    },
  ];
}
