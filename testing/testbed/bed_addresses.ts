// Addressing of the path bed: IPv6 parsing and formatting, and picking a free
// /27 of 198.18.0.0/15 and a free /48 of 2001:db8::/32 in the root namespace.

import { mustRun } from "../run_command.ts";
import { ipToInt, overlaps, usedRanges } from "./testbed.ts";

export const V4_BLOCK = 32; // a /27: 8 /30s, 6 used
const BENCH_BASE = ipToInt("198.18.0.0");
const BENCH_SIZE = 1 << 17;

/** Expands an IPv6 address to a bigint (throws on malformed input). */
export function ipv6ToBigInt(ip: string): bigint {
  const s = ip.split("%")[0];
  const halves = s.split("::");
  if (halves.length > 2) throw new Error(`bad IPv6 address ${ip}`);
  const parse = (h: string) => (h === "" ? [] : h.split(":"));
  const head = parse(halves[0]);
  const tail = halves.length === 2 ? parse(halves[1]) : [];
  const fill = 8 - head.length - tail.length;
  if (fill < 0 || (halves.length === 1 && fill !== 0)) {
    throw new Error(`bad IPv6 address ${ip}`);
  }
  const groups = [...head, ...Array(fill).fill("0"), ...tail];
  let n = 0n;
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) {
      throw new Error(`bad IPv6 address ${ip}`);
    }
    n = (n << 16n) | BigInt(parseInt(g, 16));
  }
  return n;
}

/** RFC 5952 text of an IPv6 address (lower case, longest zero run as "::"). */
export function formatIpv6(n: bigint): string {
  const g = Array.from(
    { length: 8 },
    (_, i) => Number((n >> BigInt(16 * (7 - i))) & 0xffffn),
  );
  let best = -1, bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  const hex = (xs: number[]) => xs.map((x) => x.toString(16)).join(":");
  if (best < 0) return hex(g);
  return `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}

/** True when two IPv6 prefixes overlap. */
export function v6Overlaps(
  a: bigint,
  aLen: number,
  b: bigint,
  bLen: number,
): boolean {
  const len = BigInt(128 - Math.min(aLen, bLen));
  return (a >> len) === (b >> len);
}

/** A /27 of 198.18.0.0/15 that no address or route of the root namespace overlaps. */
export async function pickV4Block(): Promise<number> {
  const used = await usedRanges();
  for (let i = 0; i < 1000; i++) {
    // Skip the first and last blocks of the /15 (like pickSubnet).
    const block = 1 + Math.floor(Math.random() * (BENCH_SIZE / V4_BLOCK - 2));
    const start = BENCH_BASE + block * V4_BLOCK;
    const range = { start, end: start + V4_BLOCK - 1 };
    if (!used.some((u) => overlaps(u, range))) return start;
  }
  throw new Error("no free /27 in 198.18.0.0/15");
}

/** Every IPv6 prefix (addresses and routes, all tables) of the root namespace. */
async function usedV6(): Promise<{ net: bigint; len: number }[]> {
  const out: { net: bigint; len: number }[] = [];
  const addrs = JSON.parse(
    await mustRun("ip", ["-6", "-j", "addr", "show"]),
  ) as {
    addr_info?: { local: string; prefixlen: number }[];
  }[];
  for (const l of addrs) {
    for (const a of l.addr_info ?? []) {
      try {
        out.push({ net: ipv6ToBigInt(a.local), len: a.prefixlen });
      } catch { /* not readable: ignore */ }
    }
  }
  const routes = JSON.parse(
    await mustRun("ip", ["-6", "-j", "route", "show", "table", "all"]),
  ) as { dst?: string }[];
  for (const r of routes) {
    if (!r.dst || r.dst === "default") continue;
    const [a, len] = r.dst.split("/");
    try {
      out.push({ net: ipv6ToBigInt(a), len: len ? Number(len) : 128 });
    } catch { /* multicast names etc.: ignore */ }
  }
  return out;
}

/** The tag x of a /48 2001:db8:x:: that no address or route of the root namespace overlaps. */
export async function pickV6Tag(): Promise<number> {
  const used = await usedV6();
  for (let i = 0; i < 1000; i++) {
    const tag = Math.floor(Math.random() * 65536);
    const net = ipv6ToBigInt(`2001:db8:${tag.toString(16)}::`);
    if (!used.some((u) => v6Overlaps(u.net, u.len, net, 48))) return tag;
  }
  throw new Error("no free /48 in 2001:db8::/32");
}
