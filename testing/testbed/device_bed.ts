// TEST-ONLY: a device-test bed. The netns test bed's namespace holds the
// "device" (headless Chromium started inside it with `ip netns exec`); the
// server listens on the bed's host end in the root namespace; nftables in the
// namespace drops a random share of the probe packets each way, each drop
// counted: the truth the reported losses must equal.
//
// Network safety: the browser reaches only the bed's /30 (198.18.0.0/15);
// the rules match only UDP to / from the server's device-test port range.
import type { Browser } from "playwright-core";
import { CHROMIUM } from "../browser_kit.ts";
import { nftScript } from "./bed_nft.ts";
import { mustRun, runCommand } from "../run_command.ts";

/** Playwright's chromium, executed inside `ns` through a wrapper script. */
export async function launchBrowserIn(ns: string): Promise<Browser> {
  const { chromium } = await import("playwright-core");
  const dir = await Deno.makeTempDir({ prefix: "pla-device-bed-" });
  const wrapper = `${dir}/chromium-in-ns`;
  await Deno.writeTextFile(
    wrapper,
    `#!/bin/sh\nexec ip netns exec ${ns} ${CHROMIUM} "$@"\n`,
  );
  await Deno.chmod(wrapper, 0o755);
  return await chromium.launch({
    executablePath: wrapper,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-features=WebRtcHideLocalIpsWithMdns",
    ],
  });
}

export interface DeviceDropRules {
  /** The server's device-test UDP ports. */
  ports: { first: number; last: number };
  /** Drop one in `upEvery` probe packets toward the server on average (0: none). */
  upEvery: number;
  downEvery: number;
  /** Only UDP packets longer than this (the probes; control traffic is smaller). */
  minUdpLength: number;
}

/** Where the rules live: the bed's namespace and its host-side veth end. */
export interface DropBed {
  nsName: string;
  hostIf: string;
  targetIf: string;
}

const tableOf = (bed: DropBed) => `pla_device_${bed.hostIf}`;

function rules(
  table: string,
  dev: string,
  dir: "up" | "down",
  r: DeviceDropRules,
): string {
  const match = `udp ${
    dir === "up" ? "dport" : "sport"
  } ${r.ports.first}-${r.ports.last} udp length > ${r.minUdpLength}`;
  const every = dir === "up" ? r.upEvery : r.downEvery;
  return `table netdev ${table} {
  counter ${dir}_seen {}
  counter ${dir}_drop {}
  chain in {
    type filter hook ingress device ${dev} priority 0; policy accept;
    ${match} counter name ${dir}_seen
${
    every > 0
      ? `    ${match} numgen random mod ${every} == 0 counter name ${dir}_drop drop`
      : ""
  }
  }
}
`;
}

async function nft(ns: string | null, script: string): Promise<void> {
  if (ns) return await nftScript(ns, script);
  const file = await Deno.makeTempFile({ prefix: "pla-nft-", suffix: ".nft" });
  try {
    await Deno.writeTextFile(file, script);
    await mustRun("nft", ["-f", file]);
  } finally {
    await Deno.remove(file).catch(() => {});
  }
}

/**
 * Drops at the receiving end of each direction, on ingress, so no sender
 * sees a failed send (a drop in the sender's own output path fails its
 * sendmsg with EPERM, and WebRTC stacks then send the packet again): probes
 * on the host-side veth end (root namespace, that device only), echoes on
 * the namespace's end. Counters "up_seen", "up_drop", "down_seen", "down_drop".
 */
export async function addDropRules(
  bed: DropBed,
  r: DeviceDropRules,
): Promise<void> {
  await nft(null, rules(tableOf(bed), bed.hostIf, "up", r));
  await nft(bed.nsName, rules(tableOf(bed), bed.targetIf, "down", r));
}

/** Removes the root namespace's table (the namespace's goes with it). */
export async function removeDropRules(bed: DropBed): Promise<void> {
  await runCommand("nft", ["delete", "table", "netdev", tableOf(bed)])
    .catch(() => {});
}

async function counters(
  ns: string | null,
  table: string,
): Promise<[string, number][]> {
  const cmd = ["nft", "-j", "list", "counters", "table", "netdev", table];
  const text = ns
    ? await mustRun("ip", ["netns", "exec", ns, ...cmd])
    : await mustRun(cmd[0], cmd.slice(1));
  const j = JSON.parse(text) as {
    nftables: { counter?: { name: string; packets: number } }[];
  };
  return j.nftables.flatMap((o) =>
    o.counter ? [[o.counter.name, o.counter.packets] as [string, number]] : []
  );
}

/** The drop and seen counters of both directions. */
export async function dropCounters(bed: DropBed): Promise<Map<string, number>> {
  return new Map([
    ...await counters(null, tableOf(bed)),
    ...await counters(bed.nsName, tableOf(bed)),
  ]);
}
