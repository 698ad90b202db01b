// IP networks in CIDR notation ("10.0.0.0/8", "fd00::/8"), for the target
// allowlist and the trusted reverse proxies.
import {
  type Family,
  formatAddress,
  parseAddress,
  type ParsedAddress,
} from "../../probe/ip_address.ts";

export interface Cidr {
  family: Family;
  /** Network bytes (16; IPv4 uses the first 4), host bits cleared. */
  bytes: Uint8Array;
  prefix: number;
  text: string;
}

const bitsOf = (family: Family) => family === 4 ? 32 : 128;

function masked(bytes: Uint8Array, prefix: number): Uint8Array {
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) {
    const keep = Math.max(0, Math.min(8, prefix - 8 * i));
    out[i] = bytes[i] & (0xff << (8 - keep));
  }
  return out;
}

/** Parses "addr/prefix" (or a bare address: a single host); null when malformed. */
export function parseCidr(text: string): Cidr | null {
  const [addr, len, extra] = text.trim().split("/");
  if (extra !== undefined || addr.includes("%")) return null;
  const a = parseAddress(addr);
  if (!a) return null;
  const max = bitsOf(a.family);
  let prefix = max;
  if (len !== undefined) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(len) || Number(len) > max) return null;
    prefix = Number(len);
  }
  const bytes = masked(a.bytes, prefix);
  return {
    family: a.family,
    bytes,
    prefix,
    text: `${formatAddress(a.family, bytes)}/${prefix}`,
  };
}

/**
 * The IPv4 address inside an IPv4-mapped IPv6 address (::ffff:a.b.c.d), so
 * policies see the address packets really go to; otherwise the address itself.
 */
export function unmapped(a: ParsedAddress): ParsedAddress {
  if (a.family !== 6) return a;
  const b = a.bytes;
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return a;
  if (b[10] !== 0xff || b[11] !== 0xff) return a;
  return parseAddress(`${b[12]}.${b[13]}.${b[14]}.${b[15]}`)!;
}

export function cidrContains(net: Cidr, address: ParsedAddress): boolean {
  const a = unmapped(address);
  if (a.family !== net.family) return false;
  const m = masked(a.bytes, net.prefix);
  return m.every((v, i) => v === net.bytes[i]);
}

/** The last address of an IPv4 network: its directed broadcast (null for /31 and /32). */
export function broadcastOf(net: Cidr): string | null {
  if (net.family !== 4 || net.prefix > 30) return null;
  const b = [...net.bytes.slice(0, 4)];
  for (let i = 0; i < 4; i++) {
    const hostBits = Math.max(0, Math.min(8, 32 - net.prefix - 8 * (3 - i)));
    b[i] |= (1 << hostBits) - 1;
  }
  return b.join(".");
}
