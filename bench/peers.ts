// The peers measured in the same run: iputils ping and fping (Debian packages).
import { runCommand } from "../testing/run_command.ts";
import { median } from "./quantile.ts";
import { type BenchRow, num, ratio, verdict } from "./report.ts";

export interface Peers {
  /** Version line, or null when the tool is missing. */
  ping: string | null;
  fping: string | null;
}

async function versionOf(cmd: string, args: string[]): Promise<string | null> {
  try {
    const out = await runCommand(cmd, args);
    const text = out.stdout + out.stderr;
    return text.split("\n").find((l) => l.trim())?.trim() ?? cmd;
  } catch {
    return null;
  }
}

let found: Promise<Peers> | undefined;

/** Which peers are installed, with their versions. */
export function findPeers(): Promise<Peers> {
  found ??= (async () => ({
    ping: await versionOf("ping", ["-V"]),
    fping: await versionOf("fping", ["-v"]),
  }))();
  return found;
}

/** Why a peer is missing, naming the Debian package to install. */
export function missingPeer(name: "ping" | "fping"): string {
  const pkg = name === "ping" ? "iputils-ping" : "fping";
  return `'${name}' not found: install it with apt-get install -y ${pkg}`;
}

/**
 * Probes sent and lost in `fping -C` output (stderr: one line per target,
 * `host : rtt rtt - rtt`, `-` for a lost probe); throws when fping failed
 * (exit 2 and above) or reported other than `expected` probes.
 */
export function fpingCounts(
  r: { code: number; stderr: string },
  expected: number,
): { sent: number; lost: number } {
  if (r.code > 1) {
    throw new Error(`fping exit ${r.code}: ${r.stderr.trim().split("\n")[0]}`);
  }
  let sent = 0, lost = 0;
  for (const line of r.stderr.split("\n")) {
    const m = /^\S+\s+: (.*)$/.exec(line);
    if (!m) continue;
    for (const v of m[1].trim().split(/\s+/)) {
      sent++;
      if (v === "-") lost++;
    }
  }
  if (sent !== expected) {
    throw new Error(`fping reported ${sent} of ${expected} probes`);
  }
  return { sent, lost };
}

/** One run of a whole process: its CPU (user+sys) and wall seconds. */
export interface ProcessRun {
  cpu: number;
  wallS: number;
}

/**
 * The three "≤ fping" rows of a run set measured alternately with fping:
 * median CPU, median wall time, and the probes lost that should not be
 * (summed over the runs). `fping` is empty when fping is not installed.
 */
export function versusFpingRows<S extends ProcessRun>(
  bench: string,
  ours: S[],
  fping: S[],
  figures: { cpu: string; wall: string; loss: string },
  lostOf: (run: S) => number,
): BenchRow[] {
  const med = (xs: S[], f: (s: S) => number) =>
    xs.length ? median(xs.map(f)) : null;
  const peer = (x: string) =>
    fping.length ? `fping ${x}` : missingPeer("fping");
  const atMost = (o: number | null, f: number | null, what: string) => ({
    ours: num(o, 2),
    peer: peer(num(f, 2)),
    ratio: ratio(o, f),
    target: "≤ fping",
    verdict: f === null
      ? "—"
      : verdict(o! <= f, `${num(o! - f, 2)} ${what} more`),
  });
  const oLost = ours.reduce((a, s) => a + lostOf(s), 0);
  const fLost = fping.reduce((a, s) => a + lostOf(s), 0);
  return [
    {
      bench,
      figure: figures.cpu,
      ...atMost(med(ours, (s) => s.cpu), med(fping, (s) => s.cpu), "s"),
    },
    {
      bench,
      figure: figures.wall,
      ...atMost(med(ours, (s) => s.wallS), med(fping, (s) => s.wallS), "s"),
    },
    {
      bench,
      figure: figures.loss,
      ours: String(oLost),
      peer: peer(String(fLost)),
      ratio: "—",
      target: "0",
      verdict: verdict(oLost === 0),
    },
  ];
}
