// TEST-ONLY: builds ICMP packets exactly as the kernel hands them to the shim
// (raw IPv4 with its IP header; IPv6 and ping sockets without), for the
// decoder fuzz test. Addresses are 4 or 16 raw bytes.
import type { Family } from "../probe/ip_address.ts";

export const ECHO_REQUEST: Record<Family, number> = { 4: 8, 6: 128 };
export const ECHO_REPLY: Record<Family, number> = { 4: 0, 6: 129 };

/** Internet checksum (RFC 1071) of `bytes`. */
export function inetChecksum(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i + 1 < bytes.length; i += 2) {
    sum += (bytes[i] << 8) | bytes[i + 1];
  }
  if (bytes.length % 2) sum += bytes[bytes.length - 1] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/**
 * The engine's payload as the decoder reads it: 8-byte cookie, 64-bit
 * little-endian token, then filler (where pla_send puts its flow word, bytes
 * 16-17, the decoder reads nothing: filler here).
 */
export function probePayload(
  cookie: Uint8Array,
  token: number,
  size = 56,
): Uint8Array {
  const p = new Uint8Array(size);
  p.set(cookie.subarray(0, Math.min(8, size)));
  const t = new DataView(new ArrayBuffer(8));
  t.setBigUint64(0, BigInt(token), true);
  if (size >= 16) p.set(new Uint8Array(t.buffer), 8);
  for (let i = 16; i < size; i++) p[i] = i & 0xff;
  return p;
}

/** An ICMP message: type, code, checksum (IPv4 style), 4 header bytes, body. */
export function icmpMessage(
  type: number,
  code: number,
  rest: [number, number, number, number],
  body: Uint8Array,
): Uint8Array {
  const m = new Uint8Array(8 + body.length);
  m.set([type, code, 0, 0, ...rest]);
  m.set(body, 8);
  const c = inetChecksum(m);
  m[2] = c >> 8;
  m[3] = c & 0xff;
  return m;
}

export function echoMessage(
  type: number,
  ident: number,
  seq: number,
  payload: Uint8Array,
): Uint8Array {
  return icmpMessage(
    type,
    0,
    [ident >> 8, ident & 0xff, seq >> 8, seq & 0xff],
    payload,
  );
}

/** IPv4 header (no options unless `ihl` > 5, options zero) followed by `body`. */
export function ipv4Packet(
  src: Uint8Array,
  dst: Uint8Array,
  body: Uint8Array,
  opts: { ttl?: number; proto?: number; ihl?: number } = {},
): Uint8Array {
  const ihl = opts.ihl ?? 5;
  const total = ihl * 4 + body.length;
  const p = new Uint8Array(total);
  p.set([0x40 | ihl, 0, total >> 8, total & 0xff, 0, 0, 0x40, 0]);
  p[8] = opts.ttl ?? 64;
  p[9] = opts.proto ?? 1;
  p.set(src, 12);
  p.set(dst, 16);
  const c = inetChecksum(p.subarray(0, ihl * 4));
  p[10] = c >> 8;
  p[11] = c & 0xff;
  p.set(body, ihl * 4);
  return p;
}

/** IPv6 header (next header ICMPv6) followed by `body`. */
export function ipv6Packet(
  src: Uint8Array,
  dst: Uint8Array,
  body: Uint8Array,
): Uint8Array {
  const p = new Uint8Array(40 + body.length);
  p.set([0x60, 0, 0, 0, body.length >> 8, body.length & 0xff, 58, 64]);
  p.set(src, 8);
  p.set(dst, 24);
  p.set(body, 40);
  return p;
}

/** An ICMP error (type, code) quoting the echo request `request` (with its IP header). */
export function errorQuoting(
  type: number,
  code: number,
  request: Uint8Array,
): Uint8Array {
  return icmpMessage(type, code, [0, 0, 0, 0], request);
}

/** A fixed v4 (127.0.0.x) or v6 (::x) address. */
export function addr(family: Family, last: number): Uint8Array {
  if (family === 4) return new Uint8Array([127, 0, 0, last]);
  const a = new Uint8Array(16);
  a[15] = last;
  return a;
}
