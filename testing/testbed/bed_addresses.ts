// Addressing of the path bed: IPv6 parsing and formatting, and picking a free
// /27 of 198.18.0.0/15 and a free /48 of 2001:db8::/32 in the root namespace.

import { mustRun } from "../run_command.ts";
import { formatAddress, parseAddress } from "../../probe/ip_address.ts";
import { ipToInt, overlaps, usedRanges } from "./testbed.ts";

export const V4_BLOCK = 32; // a /27: 8 /30s, 6 used
const BENCH_BASE = ipToInt("198.18.0.0");
const BENCH_SIZE = 1 << 17;

/** An IPv6 address as a bigint (probe/ip_address.ts parses it; throws on malformed input). */
export function ipv6ToBigInt(ip: string): bigint {
  const a = parseAddress(ip.split("%")[0]);
  if (!a || a.family !== 6) throw new Error(`bad IPv6 address ${ip}`);
  let n = 0n;
  for (const byte of a.bytes) n = (n << 8n) | BigInt(byte);
  return n;
}

/** RFC 5952 text of an IPv6 address given as a bigint (probe/ip_address.ts formats it). */
export function formatIpv6(n: bigint): string {
  const bytes = new Uint8Array(16);
  for (let i = 15; i >= 0; i--, n >>= 8n) bytes[i] = Number(n & 0xffn);
  return formatAddress(6, bytes);
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
