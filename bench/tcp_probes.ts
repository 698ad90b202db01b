// Benchmark 14: the TCP probe kinds on one veth link to a namespaced host
// (testing/testbed/tcp_bed.ts, 198.18.0.0/15): tcp-syn's RTT against ICMP's
// on the same link (both answered by the far kernel), tcp-connect's against
// tcp-syn's, and tcp-syn probes per CPU-second of the CLI against hping3 -S
// in the same run.
import { Engine } from "../probe/engine.ts";
import type { ProbeSettings } from "../model/probe.ts";
import {
  createTcpBed,
  LISTEN_PORT,
  tcpBedUnavailableReason,
} from "../testing/testbed/tcp_bed.ts";
import { median } from "./quantile.ts";
import { type BenchRow, num, ratio, skippedRows, verdict } from "./report.ts";
import { runTimed } from "./run_timed.ts";
import { runCommand } from "../testing/run_command.ts";
import { taskPermissions } from "../testing/deno_flags.ts";

const BENCH = "15 TCP probes";
const REPO = decodeURIComponent(new URL("..", import.meta.url).pathname);
const RTT_PROBES = 500;
const RATE_PROBES = 5000;

async function rtts(
  engine: Engine,
  host: string,
  probe?: ProbeSettings["probe"],
): Promise<number[]> {
  const out: number[] = [];
  const run = await engine.run([{ target: "bed", host }], {
    interval_ms: 2,
    timeout_ms: 500,
    size: 56,
    count: RTT_PROBES,
    ...(probe ? { probe } : {}),
  }, {
    onProbe: (r) => {
      if (r.status === "ok" && r.rtt_ms !== null) out.push(r.rtt_ms * 1000);
    },
    lingerMs: 0,
  });
  await run.done;
  return out;
}

async function hping(): Promise<boolean> {
  try {
    return (await runCommand("hping3", ["--version"])).code === 0;
  } catch {
    return false;
  }
}

export async function tcpProbesBench(): Promise<BenchRow[]> {
  const why = await tcpBedUnavailableReason();
  if (why) return skippedRows(BENCH, why);
  await using tb = await createTcpBed();
  const engine = Engine.create();
  let icmp: number[], syn: number[], connect: number[];
  try {
    // Interleaved rounds so load from elsewhere hits every kind alike.
    icmp = [];
    syn = [];
    connect = [];
    for (let round = 0; round < 2; round++) {
      icmp.push(...await rtts(engine, tb.target));
      syn.push(
        ...await rtts(engine, tb.target, {
          kind: "tcp-syn",
          port: LISTEN_PORT,
        }),
      );
      connect.push(
        ...await rtts(engine, tb.target, {
          kind: "tcp-connect",
          port: LISTEN_PORT,
        }),
      );
    }
  } finally {
    await engine.close();
  }
  const mIcmp = median(icmp), mSyn = median(syn), mConnect = median(connect);
  const synError = mSyn !== null && mIcmp !== null ? mSyn - mIcmp : null;
  const connectExtra = mConnect !== null && mSyn !== null
    ? mConnect - mSyn
    : null;
  const rows: BenchRow[] = [{
    bench: BENCH,
    figure:
      `tcp-syn median RTT − ICMP median RTT, same veth link, kernel answers, ${
        2 * RTT_PROBES
      } probes each (µs; tcp-syn ${num(mSyn, 1)}, ICMP ${num(mIcmp, 1)})`,
    ours: num(synError, 1),
    peer: "—",
    ratio: "—",
    target: "|error| ≤ 50 µs",
    verdict: verdict(synError === null ? null : Math.abs(synError) <= 50),
  }, {
    bench: BENCH,
    figure: `tcp-connect median RTT − tcp-syn median RTT (µs; connect ${
      num(mConnect, 1)
    }): a user-space clock around node:net connect() vs kernel stamps`,
    ours: num(connectExtra, 1),
    peer: "—",
    ratio: "—",
    target: "—",
    verdict: "—",
  }];

  // Probes per CPU-second: the CLI (whole process, start included) against
  // hping3 -S, RATE_PROBES SYNs at 1 ms each; and this project's own ICMP
  // CLI on the same link, the yardstick of what the runtime costs.
  const cliRun = async (kind: string[]) => {
    const r = await runTimed(Deno.execPath(), [
      "run",
      ...taskPermissions("probe"),
      "probe/cli.ts",
      "--host",
      tb.target,
      ...kind,
      "--count",
      String(RATE_PROBES),
      "--interval",
      "1ms",
      "--timeout",
      "500ms",
      "--output",
      "json",
    ], { cwd: REPO });
    const summary = r.stdout.trim().split("\n").map((l) => JSON.parse(l))
      .find((l) => l.type === "summary");
    return {
      summary,
      pps: summary ? summary.sent / r.cpuSeconds : null,
    };
  };
  const synRate = await cliRun(["--tcp", String(LISTEN_PORT)]);
  const icmpRate = await cliRun([]);
  const summary = synRate.summary;
  const ours = synRate.pps;
  let peer: number | null = null;
  let peerNote = "hping3 not installed (apt-get install hping3)";
  if (await hping()) {
    const h = await runTimed("hping3", [
      "-S",
      "-p",
      String(LISTEN_PORT),
      "-c",
      String(RATE_PROBES),
      "-i",
      "u1000",
      tb.target,
    ]);
    const m = /(\d+) packets transmitted, (\d+) packets received/.exec(
      h.stdout + h.stderr,
    );
    if (m) {
      peer = Number(m[1]) / h.cpuSeconds;
      peerNote = `hping3 ${num(peer, 0)} (received ${m[2]}/${m[1]})`;
    } else peerNote = "hping3 printed no statistics";
  }
  rows.push({
    bench: BENCH,
    figure:
      `tcp-syn probes per CPU-second, ${RATE_PROBES} SYNs at 1 ms, whole process (CLI received ${
        summary?.received ?? "?"
      }/${summary?.sent ?? "?"})`,
    ours: num(ours, 0),
    peer: peerNote,
    ratio: ratio(ours, peer),
    target: "≥ 0.8 × this project's ICMP CLI (next row)",
    verdict: verdict(
      ours === null || icmpRate.pps === null
        ? null
        : ours >= 0.8 * icmpRate.pps,
    ),
  }, {
    bench: BENCH,
    figure:
      `ICMP probes per CPU-second of the same CLI, same link and rate (received ${
        icmpRate.summary?.received ?? "?"
      }/${icmpRate.summary?.sent ?? "?"})`,
    ours: num(icmpRate.pps, 0),
    peer: "—",
    ratio: "—",
    target: "—",
    verdict: "—",
  });
  return rows;
}
