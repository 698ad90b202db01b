// The PathBed object over a built bed: addresses and hops, loss and counters,
// branch and ECMP switches, rate limits, commands and ping as the prober.

import { runCommand } from "../run_command.ts";
import { intToIp, ipToInt } from "./testbed.ts";
import {
  formatIpv6,
  ipv6ToBigInt,
  V4_BLOCK,
  v6Overlaps,
} from "./bed_addresses.ts";
import { type Built, FAR_LINKS, ipBatch } from "./bed_build.ts";
import {
  countsOf,
  ecmpRules,
  lossRules,
  nftCounters,
  nftScript,
} from "./bed_nft.ts";
import { plainPingCopy, runPing } from "./bed_ping.ts";
import { NO_RATE_LIMIT, sysctlSet } from "./bed_sysctl.ts";
import {
  type DualAddress,
  type HopList,
  type PathBed,
  type RouterName,
  ROUTERS,
} from "./path_bed_types.ts";

/** The PathBed object over a built bed; `teardown` deletes its namespaces. */
export function makePathBed(b: Built, teardown: () => Promise<void>): PathBed {
  const { nsOf, addr } = b;
  const routers: Record<RouterName, DualAddress> = {
    R1: addr(0, "down"),
    R2a: addr(1, "down"),
    R2b: addr(2, "down"),
    // R3's address on the R2a link (its route back goes via R2a).
    R3: addr(3, "down"),
  };
  const destination = addr(5, "down");
  const hopsFor = (mid: DualAddress, r3v6: string): HopList => ({
    v4: [routers.R1.v4, mid.v4, routers.R3.v4, destination.v4],
    v6: [routers.R1.v6, mid.v6, r3v6, destination.v6],
  });
  // IPv4 time exceeded leaves from the interface of the route back (R3:
  // toward R2a on both branches); IPv6 from the interface the probe arrived on.
  const hopsVia = {
    a: hopsFor(routers.R2a, addr(3, "down").v6),
    b: hopsFor(routers.R2b, addr(4, "down").v6),
  };
  const net6 = ipv6ToBigInt(`2001:db8:${b.v6Tag}::`);
  const isBedAddress = (ip: string): boolean => {
    if (ip.includes(":")) {
      try {
        return v6Overlaps(ipv6ToBigInt(ip), 128, net6, 48);
      } catch {
        return false;
      }
    }
    try {
      const n = ipToInt(ip);
      return n >= b.v4Start && n < b.v4Start + V4_BLOCK;
    } catch {
      return false;
    }
  };
  let destroyed: Promise<void> | undefined;
  const alive = () => {
    if (destroyed) throw new Error("path bed already destroyed");
  };
  const plainPing = plainPingCopy();
  const destroy = () => {
    destroyed ??= (async () => {
      await teardown();
      await plainPing.remove();
    })();
    return destroyed;
  };

  const runInSource: PathBed["runInSource"] = (cmd, args, o = {}) => {
    alive();
    const { noRawSockets, ...cmdOpts } = o;
    if (!b.proberNs) {
      if (noRawSockets) {
        throw new Error("noRawSockets needs sourceNamespace: true");
      }
      return runCommand(cmd, args, cmdOpts);
    }
    const drop = noRawSockets
      ? ["setpriv", "--bounding-set=-net_raw", "--inh-caps=-net_raw"]
      : [];
    return runCommand("ip", [
      "netns",
      "exec",
      b.proberNs,
      ...drop,
      cmd,
      ...args,
    ], cmdOpts);
  };

  return {
    routers,
    hops: hopsVia.a,
    hopsVia,
    destination,
    prober: addr(0, "up"),
    prefixes: { v4: `${intToIp(b.v4Start)}/27`, v6: `${formatIpv6(net6)}/48` },
    namespaces: nsOf,
    sourceNs: b.proberNs,
    isBedAddress,
    async setLoss(router, percent) {
      alive();
      if (!Number.isInteger(percent) || percent < 0 || percent > 100) {
        throw new Error(
          `setLoss: percent must be an integer 0..100, not ${percent}`,
        );
      }
      await nftScript(nsOf[router], lossRules(percent));
    },
    async clearLoss(router) {
      alive();
      for (const r of router ? [router] : ROUTERS) {
        await nftScript(nsOf[r], lossRules(0));
      }
    },
    async drops(router) {
      alive();
      return countsOf(await nftCounters(nsOf[router]), "d");
    },
    async arrivals(router) {
      alive();
      return countsOf(await nftCounters(nsOf[router]), "a");
    },
    async useBranch(branch) {
      alive();
      const hop = branch === "a" ? addr(1, "down") : addr(2, "down");
      const lines: string[] = [];
      for (const f of FAR_LINKS) {
        lines.push(
          `route replace ${intToIp(b.v4Start + 4 * f)}/30 via ${hop.v4}`,
          `route replace 2001:db8:${b.v6Tag}:${f}::/64 via ${hop.v6}`,
        );
      }
      await ipBatch(nsOf.R1, lines);
    },
    async ecmp(on) {
      alive();
      await nftScript(nsOf.R1, ecmpRules(on, b.ecmpSeed));
    },
    async branchCounts() {
      alive();
      const m = await nftCounters(nsOf.R1);
      return {
        a: (m.get("br4a") ?? 0) + (m.get("br6a") ?? 0),
        b: (m.get("br4b") ?? 0) + (m.get("br6b") ?? 0),
      };
    },
    async setRateLimit(router, limited) {
      alive();
      await sysctlSet(
        nsOf[router],
        limited ? b.defaults[router] : NO_RATE_LIMIT,
      );
    },
    runInSource,
    async ping(dst, o = {}) {
      alive();
      if (!isBedAddress(dst)) {
        throw new Error(`refusing to ping ${dst}: not in this path bed`);
      }
      return await runPing(runInSource, plainPing.path, dst, o);
    },
    destroy,
    [Symbol.asyncDispose]: destroy,
  };
}
