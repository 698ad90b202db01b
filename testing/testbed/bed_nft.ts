// nftables in the path bed's routers: the ruleset (per-TTL arrival and drop
// counters, loss, ECMP marks, branch counters), loading scripts, reading counters.

import { mustRun } from "../run_command.ts";
import type { RouterName, TtlCounts } from "./path_bed_types.ts";

const TTLS = Array.from({ length: 256 }, (_, i) => i);

function counterMap(kind: "a" | "d", fam: 4 | 6): string {
  return `{ ${TTLS.map((t) => `${t} : "${kind}${fam}_${t}"`).join(", ")} }`;
}

/** Rules of the echo-request chains: count every arrival, drop P% (one numgen draw per packet). */
export function lossRules(percent: number): string {
  const lines: string[] = [];
  for (const fam of [4, 6] as const) {
    const chain = `req${fam}`;
    const key = fam === 4 ? "ip ttl" : "ip6 hoplimit";
    lines.push(`flush chain inet pla ${chain}`);
    lines.push(
      `add rule inet pla ${chain} counter name ${key} map ${
        counterMap("a", fam)
      }`,
    );
    if (percent > 0) {
      lines.push(
        `add rule inet pla ${chain} numgen random mod 100 <= ${
          percent - 1
        } counter name ${key} map ${counterMap("d", fam)} drop`,
      );
    }
  }
  return lines.join("\n") + "\n";
}

/** The whole table of a router: counters, echo-request chains (no loss), and on R1 the ECMP and branch-counter chains. */
export function routerRuleset(router: RouterName): string {
  const counters: string[] = [];
  for (const kind of ["a", "d"]) {
    for (const fam of [4, 6]) {
      for (const t of TTLS) {
        counters.push(`add counter inet pla ${kind}${fam}_${t}`);
      }
    }
  }
  const lines = [
    "add table inet pla",
    "delete table inet pla",
    "add table inet pla",
    ...counters,
    "add chain inet pla req4",
    "add chain inet pla req6",
    // raw priority: before conntrack and before the forwarding (TTL) decision.
    "add chain inet pla pre { type filter hook prerouting priority -300; policy accept; }",
    "add rule inet pla pre icmp type echo-request jump req4",
    "add rule inet pla pre icmpv6 type echo-request jump req6",
  ];
  if (router === "R1") {
    lines.push(
      "add counter inet pla br4a",
      "add counter inet pla br4b",
      "add counter inet pla br6a",
      "add counter inet pla br6b",
      "add chain inet pla ecmpmark { type filter hook prerouting priority -150; policy accept; }",
      "add chain inet pla fwdcount { type filter hook forward priority 0; policy accept; }",
      'add rule inet pla fwdcount oifname "t2a" icmp type echo-request counter name "br4a"',
      'add rule inet pla fwdcount oifname "t2b" icmp type echo-request counter name "br4b"',
      'add rule inet pla fwdcount oifname "t2a" icmpv6 type echo-request counter name "br6a"',
      'add rule inet pla fwdcount oifname "t2b" icmpv6 type echo-request counter name "br6b"',
    );
  }
  return lines.join("\n") + "\n" + lossRules(0);
}

/** ECMP: mark 1 (table 101, via R2a) or 2 (table 102, via R2b) from a hash of the flow's first ICMP bytes. */
export function ecmpRules(on: boolean, seed: number): string {
  const lines = ["flush chain inet pla ecmpmark"];
  if (on) {
    const s = `0x${seed.toString(16)}`;
    lines.push(
      `add rule inet pla ecmpmark iifname "tp" meta mark set jhash ip saddr . ip daddr . icmp type . icmp code . icmp checksum mod 2 seed ${s} offset 1`,
      `add rule inet pla ecmpmark iifname "tp" meta mark set jhash ip6 saddr . ip6 daddr . icmpv6 type . icmpv6 code . icmpv6 checksum mod 2 seed ${s} offset 1`,
    );
  }
  return lines.join("\n") + "\n";
}

/** Loads an nft script in namespace `ns`. */
export async function nftScript(ns: string, script: string): Promise<void> {
  const file = await Deno.makeTempFile({ prefix: "pla-nft-", suffix: ".nft" });
  try {
    await Deno.writeTextFile(file, script);
    await mustRun("ip", ["netns", "exec", ns, "nft", "-f", file]);
  } finally {
    await Deno.remove(file).catch(() => {});
  }
}

/** Every named counter of table inet `table` in `ns`: name to packets. */
export async function nftCounters(
  ns: string,
  table = "pla",
): Promise<Map<string, number>> {
  const j = JSON.parse(
    await mustRun("ip", [
      "netns",
      "exec",
      ns,
      "nft",
      "-j",
      "list",
      "counters",
      "table",
      "inet",
      table,
    ]),
  ) as { nftables: { counter?: { name: string; packets: number } }[] };
  const m = new Map<string, number>();
  for (const o of j.nftables) {
    if (o.counter) m.set(o.counter.name, o.counter.packets);
  }
  return m;
}

/** Per-TTL counts of the arrival ("a") or drop ("d") counters, zero entries left out. */
export function countsOf(m: Map<string, number>, kind: "a" | "d"): TtlCounts {
  const out: TtlCounts = { v4: {}, v6: {} };
  for (const fam of [4, 6] as const) {
    for (const t of TTLS) {
      const n = m.get(`${kind}${fam}_${t}`);
      if (n === undefined) {
        throw new Error(`nft counter ${kind}${fam}_${t} missing`);
      }
      if (n > 0) out[fam === 4 ? "v4" : "v6"][t] = n;
    }
  }
  return out;
}
