/**
 * Path test bed: a chain of real routers, each a network namespace, for
 * path-analysis (mtr-like, TTL-limited echo) tests. The prober is this
 * process in the root namespace (or, with `sourceNamespace`, an extra
 * namespace S in front of R1):
 *
 * ```
 * prober ── R1 ──┬── R2a ──┬── R3 ── D
 *                └── R2b ──┘
 * ```
 *
 * Hops: 1 = R1, 2 = R2a (or R2b), 3 = R3, 4 = D. IPv4 and IPv6 on every link,
 * kernel forwarding in the routers, kernel echo at D. The routers answer every
 * expiring probe (ICMP rate limits off) unless named in `rateLimited`. nftables
 * in every router injects exact loss (`setLoss`: a share of ARRIVING echo
 * requests dropped before TTL processing, counted per arriving TTL, so
 * `drops()` is the truth), R1 switches the route of the far links between R2a
 * and R2b (`useBranch`) or splits flows over both like a hardware load
 * balancer hashing addresses and the ICMP type, code and checksum (`ecmp`).
 *
 * Addresses: link i (0 prober-R1, 1 R1-R2a, 2 R1-R2b, 3 R2a-R3, 4 R2b-R3,
 * 5 R3-D) is the i-th /30 of the /27 and <the /48>:i::/64; the end nearer the
 * prober is .1 / ::1, the other .2 / ::2. Measured on Linux 6.18: IPv4 "time
 * exceeded" leaves from the interface of the route back to the prober (R3
 * answers from its R2a-side address on both branches), IPv6 from the
 * interface the probe arrived on (`hopsVia`). A kernel-default router answers
 * 50 expiring probes sent 20 ms apart about 7 times in IPv4 (burst 6, then
 * 1/s) and about 16 times in IPv6 (its 1 s interval is divided by 16 for a
 * default route back).
 *
 * Needs root (namespaces, veth, nftables), `ip` (iproute2), `nft` (nftables),
 * `ping` (iputils-ping) and `sysctl`. Deno permissions: --allow-run
 * --allow-read --allow-write.
 *
 * Network safety: every address is in the bed's own free /27 of
 * 198.18.0.0/15 and /48 of 2001:db8::/32. The root namespace gets routes for
 * exactly those two prefixes (via R1) and nothing else; R1 has no default
 * route (the prober is on its link), so traffic toward any other address dies
 * in the bed with "network unreachable". `ping()` and `runInSource()` users
 * should check `isBedAddress`; `ping()` refuses anything else. Namespaces are
 * named pla-tb-<pid>-<tag>..., deleted by destroy(), by an unload hook, and by
 * the stale-namespace sweep of testbed.ts when their creator is gone.
 *
 * @example
 * ```ts
 * await using bed = await createPathBed();
 * await bed.setLoss("R3", 30);
 * const r = await bed.ping(bed.destination.v4, { count: 200, intervalMs: 10 });
 * const lost = sumCounts(await bed.drops("R3"));   // === r.transmitted - r.received
 * ```
 */

import { runCommand } from "../run_command.ts";
import {
  bedUnavailableReason,
  NS_PREFIX,
  randomHex,
  removeStaleNamespaces,
} from "./testbed.ts";
import { build, type Node } from "./bed_build.ts";
import { makePathBed } from "./bed_object.ts";
import {
  type PathBed,
  type PathBedOptions,
  ROUTERS,
  type TtlCounts,
} from "./path_bed_types.ts";

export type {
  Branch,
  DualAddress,
  HopList,
  PathBed,
  PathBedOptions,
  PingOptions,
  PingResult,
  RouterName,
  TtlCounts,
} from "./path_bed_types.ts";
export { ROUTERS } from "./path_bed_types.ts";
export { formatIpv6, ipv6ToBigInt } from "./bed_addresses.ts";
export { parsePing } from "./bed_ping.ts";

// ------------------------------------------------------------ availability

let unavailable: Promise<string | null> | undefined;

/** null when the path bed can be built here; otherwise why not (for test skips). */
export function pathBedUnavailableReason(): Promise<string | null> {
  unavailable ??= checkAvailability();
  return unavailable;
}

function checkAvailability(): Promise<string | null> {
  return bedUnavailableReason(
    [
      ["ip", ["-V"], "iproute2"],
      ["nft", ["--version"], "nftables"],
      ["ping", ["-V"], "iputils-ping"],
      ["sysctl", ["-V"], "procps"],
    ],
    // The real test: nftables inside a namespace.
    async (ns) => {
      const nft = await runCommand("ip", [
        "netns",
        "exec",
        ns,
        "nft",
        "add table inet pla_chk",
      ]);
      return nft.code === 0
        ? null
        : `nftables unusable in a namespace: ${nft.stderr.trim()}`;
    },
  );
}

// ------------------------------------------------------- cleanup registry

const live = new Set<string>();
let unloadHooked = false;

function hookUnload() {
  if (unloadHooked) return;
  unloadHooked = true;
  globalThis.addEventListener("unload", () => {
    for (const ns of live) {
      try {
        new Deno.Command("ip", {
          args: ["netns", "del", ns],
          stdout: "null",
          stderr: "null",
        })
          .outputSync();
      } catch {
        // best effort
      }
    }
    live.clear();
  });
}

// --------------------------------------------------------------- the bed

/** Builds the bed: 5 router/destination namespaces (+ S), 6 veth links, routes, nftables. */
export async function createPathBed(
  opts: PathBedOptions = {},
): Promise<PathBed> {
  const reason = await pathBedUnavailableReason();
  if (reason) throw new Error(`path bed unavailable: ${reason}`);
  for (const r of opts.rateLimited ?? []) {
    if (!ROUTERS.includes(r)) {
      throw new Error(`rateLimited: unknown router ${r}`);
    }
  }
  hookUnload();
  await removeStaleNamespaces();

  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const tag = randomHex(3);
    const base = `${NS_PREFIX}${Deno.pid}-${tag}`;
    const nsOf: Record<Exclude<Node, "P">, string> & { S?: string } = {
      R1: `${base}r1`,
      R2a: `${base}r2a`,
      R2b: `${base}r2b`,
      R3: `${base}r3`,
      D: `${base}d`,
    };
    if (opts.sourceNamespace) nsOf.S = `${base}s`;
    const created: string[] = [];
    const teardown = async () => {
      for (const ns of created) {
        live.delete(ns);
        await runCommand("ip", ["netns", "del", ns]).catch(() => {});
      }
    };
    try {
      for (const ns of Object.values(nsOf)) {
        const add = await runCommand("ip", ["netns", "add", ns]);
        if (add.code !== 0) {
          throw new Error(`ip netns add ${ns}: ${add.stderr.trim()}`);
        }
        created.push(ns);
        live.add(ns);
      }
      const bed = await build(opts, tag, nsOf);
      return makePathBed(bed, teardown);
    } catch (e) {
      lastError = e;
      await teardown();
      if (!(e instanceof Error && e.message.includes("taken concurrently"))) {
        throw e;
      }
    }
  }
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}

/** Sum of every count, both families. */
export function sumCounts(c: TtlCounts): number {
  let s = 0;
  for (const fam of [c.v4, c.v6]) for (const n of Object.values(fam)) s += n;
  return s;
}
