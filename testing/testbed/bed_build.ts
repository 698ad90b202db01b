// The build of a path bed in namespaces already created: the links (veth
// pairs), addresses, neighbours, routes, sysctls and nftables, checked end to end.

import { mustRun, runCommand } from "../run_command.ts";
import { intToIp, overlaps, usedRanges } from "./testbed.ts";
import {
  formatIpv6,
  ipv6ToBigInt,
  pickV4Block,
  pickV6Tag,
  V4_BLOCK,
  v6Overlaps,
} from "./bed_addresses.ts";
import { nftScript, routerRuleset } from "./bed_nft.ts";
import { NO_RATE_LIMIT, sysctlGet, sysctlSet } from "./bed_sysctl.ts";
import {
  type DualAddress,
  type PathBedOptions,
  type RouterName,
  ROUTERS,
} from "./path_bed_types.ts";

/** A node of the chain: P is the prober. */
export type Node = "P" | RouterName | "D";

/** One veth link: `up` is the end nearer the prober (.1 / ::1), `down` the other (.2 / ::2). */
interface Link {
  up: Node;
  upIf: string;
  down: Node;
  downIf: string;
}

/** Index = link number (v4: block + 4i, /30; v6: <prefix>:i::/64). */
const LINKS: readonly Link[] = [
  { up: "P", upIf: "", down: "R1", downIf: "tp" }, // upIf named per bed
  { up: "R1", upIf: "t2a", down: "R2a", downIf: "t1" },
  { up: "R1", upIf: "t2b", down: "R2b", downIf: "t1" },
  { up: "R2a", upIf: "t3", down: "R3", downIf: "t2a" },
  { up: "R2b", upIf: "t3", down: "R3", downIf: "t2b" },
  { up: "R3", upIf: "td", down: "D", downIf: "t3" },
];
/** The far links: R1 reaches them via R2a or R2b. */
export const FAR_LINKS = [3, 4, 5];
const TABLE = { a: 101, b: 102 } as const;

/** Runs `ip -batch` with these lines in `ns` (null: this namespace). */
export async function ipBatch(
  ns: string | null,
  lines: string[],
): Promise<void> {
  if (lines.length === 0) return;
  const file = await Deno.makeTempFile({ prefix: "pla-ip-", suffix: ".batch" });
  try {
    await Deno.writeTextFile(file, lines.join("\n") + "\n");
    await mustRun("ip", [...(ns ? ["-n", ns] : []), "-batch", file]);
  } finally {
    await Deno.remove(file).catch(() => {});
  }
}

/** What a build leaves: the namespaces, the prefixes and what the PathBed object needs. */
export interface Built {
  nsOf: Record<Exclude<Node, "P">, string> & { S?: string };
  /** Namespace of the prober, null = root. */
  proberNs: string | null;
  v4Start: number;
  v6Tag: string;
  addr: (link: number, end: "up" | "down") => DualAddress;
  defaults: Record<RouterName, Record<string, string>>;
  ecmpSeed: number;
}

/** Builds the bed in the namespaces `nsOf` (created by the caller); throws "taken concurrently" when a parallel creator took its prefixes. */
export async function build(
  opts: PathBedOptions,
  tag: string,
  nsOf: Built["nsOf"],
): Promise<Built> {
  const v4Start = await pickV4Block();
  const v6Tag = (await pickV6Tag()).toString(16);
  const v6Net = ipv6ToBigInt(`2001:db8:${v6Tag}::`);
  const addr = (link: number, end: "up" | "down"): DualAddress => ({
    v4: intToIp(v4Start + 4 * link + (end === "up" ? 1 : 2)),
    v6: formatIpv6(v6Net | (BigInt(link) << 64n) | (end === "up" ? 1n : 2n)),
  });
  const proberNs = nsOf.S ?? null;
  const rootIf = `plp${tag}`;
  const links = LINKS.map((
    l,
    i,
  ) => (i === 0 ? { ...l, upIf: proberNs ? "t1" : rootIf } : l));
  const nsName = (n: Node) => (n === "P" ? proberNs : nsOf[n]);
  const mac = (link: number, end: "up" | "down") =>
    `02:${tag.slice(0, 2)}:${tag.slice(2, 4)}:${tag.slice(4, 6)}:${
      link.toString(16).padStart(2, "0")
    }:${end === "up" ? "01" : "02"}`;

  // 1. Namespace-wide settings before any interface exists (new interfaces
  //    inherit the "default" values): no DAD, no reverse-path filter,
  //    forwarding in the routers, ping sockets in S.
  const defaults = {} as Record<RouterName, Record<string, string>>;
  for (
    const [node, ns] of Object.entries(nsOf) as [
      Exclude<Node, "P"> | "S",
      string,
    ][]
  ) {
    const kv: Record<string, string> = {
      "net.ipv6.conf.all.accept_dad": "0",
      "net.ipv6.conf.default.accept_dad": "0",
      "net.ipv6.conf.default.router_solicitations": "0",
      "net.ipv6.conf.default.accept_ra": "0",
      "net.ipv4.conf.all.rp_filter": "0",
      "net.ipv4.conf.default.rp_filter": "0",
    };
    if ((ROUTERS as readonly string[]).includes(node)) {
      const r = node as RouterName;
      defaults[r] = await sysctlGet(ns, Object.keys(NO_RATE_LIMIT));
      kv["net.ipv4.ip_forward"] = "1";
      kv["net.ipv6.conf.all.forwarding"] = "1";
      if (!(opts.rateLimited ?? []).includes(r)) {
        Object.assign(kv, NO_RATE_LIMIT);
      }
    }
    if (node === "S") kv["net.ipv4.ping_group_range"] = "0 2147483647";
    await sysctlSet(ns, kv);
  }

  // 2. The veth pairs, each end created in its namespace with a fixed MAC.
  for (const [i, l] of links.entries()) {
    const upNs = nsName(l.up);
    await mustRun("ip", [
      ...(upNs ? ["-n", upNs] : []),
      "link",
      "add",
      "name",
      l.upIf,
      "address",
      mac(i, "up"),
      "type",
      "veth",
      "peer",
      "name",
      l.downIf,
      "address",
      mac(i, "down"),
      "netns",
      nsName(l.down)!,
    ]);
  }
  if (!proberNs) {
    // The root end: no DAD, no router solicitations or RAs on it.
    await mustRun("sysctl", [
      "-qw",
      `net.ipv6.conf.${rootIf}.accept_dad=0`,
      `net.ipv6.conf.${rootIf}.router_solicitations=0`,
      `net.ipv6.conf.${rootIf}.accept_ra=0`,
    ]);
  }

  // 3. Addresses, permanent neighbours, routes: one `ip -batch` per namespace.
  const batch = new Map<string | null, string[]>();
  const push = (ns: string | null, ...lines: string[]) => {
    if (!batch.has(ns)) batch.set(ns, []);
    batch.get(ns)!.push(...lines);
  };
  for (const ns of Object.values(nsOf)) push(ns, "link set dev lo up");
  for (const [i, l] of links.entries()) {
    for (const [end, other] of [["up", "down"], ["down", "up"]] as const) {
      const node = end === "up" ? l.up : l.down;
      const ifname = end === "up" ? l.upIf : l.downIf;
      const a = addr(i, end);
      const peer = addr(i, other);
      push(
        nsName(node),
        `address add ${a.v4}/30 dev ${ifname}`,
        `address add ${a.v6}/64 dev ${ifname} nodad`,
        `link set dev ${ifname} up`,
        `neigh replace ${peer.v4} lladdr ${
          mac(i, other)
        } dev ${ifname} nud permanent`,
        `neigh replace ${peer.v6} lladdr ${
          mac(i, other)
        } dev ${ifname} nud permanent`,
      );
    }
  }
  const via = (
    link: number,
    end: "up" | "down",
    dst: number | "default",
    table?: number,
  ) => {
    const a = addr(link, end);
    const t = table ? ` table ${table}` : "";
    const d4 = dst === "default"
      ? "default"
      : `${intToIp(v4Start + 4 * dst)}/30`;
    const d6 = dst === "default" ? "::/0" : `2001:db8:${v6Tag}:${dst}::/64`;
    return [
      `route replace ${d4} via ${a.v4}${t}`,
      `route replace ${d6} via ${a.v6}${t}`,
    ];
  };
  // The prober: the bed's two prefixes via R1, nothing else.
  push(
    proberNs,
    `route replace ${intToIp(v4Start)}/27 via ${addr(0, "down").v4}`,
    `route replace 2001:db8:${v6Tag}::/48 via ${addr(0, "down").v6}`,
  );
  // R1: far links via R2a (main table), and per branch (ECMP tables). No default.
  for (const f of FAR_LINKS) {
    push(
      nsOf.R1,
      ...via(1, "down", f),
      ...via(1, "down", f, TABLE.a),
      ...via(2, "down", f, TABLE.b),
    );
  }
  push(
    nsOf.R2a,
    ...via(1, "up", "default"),
    ...via(3, "down", 4),
    ...via(3, "down", 5),
  );
  push(
    nsOf.R2b,
    ...via(2, "up", "default"),
    ...via(4, "down", 3),
    ...via(4, "down", 5),
  );
  push(nsOf.R3, ...via(3, "up", "default"));
  push(nsOf.D, ...via(5, "up", "default"));
  for (const [ns, lines] of batch) await ipBatch(ns, lines);
  for (const fam of ["-4", "-6"]) {
    for (const [mark, table] of [[1, TABLE.a], [2, TABLE.b]]) {
      await mustRun("ip", [
        "-n",
        nsOf.R1,
        fam,
        "rule",
        "add",
        "fwmark",
        String(mark),
        "table",
        String(table),
      ]);
    }
  }

  // A parallel creator may have raced us to the same prefixes: re-check.
  if (!proberNs) {
    const range = { start: v4Start, end: v4Start + V4_BLOCK - 1 };
    const clash4 = (await usedRanges()).some((u) =>
      u.ifname !== rootIf && overlaps(u, range)
    );
    const net6 = ipv6ToBigInt(`2001:db8:${v6Tag}::`);
    const v6Routes = JSON.parse(
      await mustRun("ip", ["-6", "-j", "route", "show", "table", "all"]),
    ) as {
      dst?: string;
      dev?: string;
    }[];
    const clash6 = v6Routes.some((r) => {
      if (!r.dst || r.dst === "default" || r.dev === rootIf) return false;
      const [a, len] = r.dst.split("/");
      try {
        return v6Overlaps(ipv6ToBigInt(a), len ? Number(len) : 128, net6, 48);
      } catch {
        return false;
      }
    });
    if (clash4 || clash6) throw new Error("bed prefixes taken concurrently");
  }

  // 4. nftables in every router.
  for (const r of ROUTERS) await nftScript(nsOf[r], routerRuleset(r));

  // 5. It must work end to end, both families (bounded: 3 tries of 1 ping).
  const dst = addr(5, "down");
  for (const d of [dst.v4, dst.v6]) {
    let ok = false;
    for (let i = 0; i < 3 && !ok; i++) {
      const args = ["-n", "-c", "1", "-W", "1", d];
      const r = proberNs
        ? await runCommand("ip", ["netns", "exec", proberNs, "ping", ...args])
        : await runCommand("ping", args);
      ok = r.code === 0;
    }
    if (!ok) throw new Error(`path bed: no echo reply from ${d} after 3 tries`);
  }
  return {
    nsOf,
    proberNs,
    v4Start,
    v6Tag,
    addr,
    defaults,
    ecmpSeed: crypto.getRandomValues(new Uint32Array(1))[0],
  };
}
