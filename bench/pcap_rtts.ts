// Ground truth for path benchmarks: RTTs and losses read off a packet capture
// (tcpdump -w, nanosecond pcap) taken on the prober's own interface. The
// capture's timestamps are the kernel's, taken where the packets leave and
// arrive, so each tool's reported RTT can be compared with the wire's.
// Echo requests are matched with the echo reply or the ICMP error that quotes
// them by (identifier, sequence); the request's IP TTL / hop limit is its hop.

export interface WireProbe {
  id: number;
  seq: number;
  /** IP TTL / IPv6 hop limit the request left with: its hop. */
  hop: number;
  sentNs: bigint;
  /** First answer (echo reply, time exceeded, unreachable), else null. */
  answeredNs: bigint | null;
  /** Source of the first answer. */
  from: string | null;
}

import { formatAddress } from "../probe/ip_address.ts";

const LINKTYPE_ETHERNET = 1;
const LINKTYPE_LINUX_SLL = 113;
const LINKTYPE_LINUX_SLL2 = 276;

interface Icmp {
  v: 4 | 6;
  src: string;
  ttl: number;
  type: number;
  id: number;
  seq: number;
  /** For errors: the quoted request's identifier and sequence. */
  quoted?: { id: number; seq: number };
}

/** The ICMP message of an IP packet at `o`, or null. */
function parseIp(b: Uint8Array, o: number, end: number): Icmp | null {
  if (o + 20 > end) return null;
  const version = b[o] >> 4;
  let ic: number, src: string, ttl: number;
  if (version === 4) {
    const hl = (b[o] & 15) * 4;
    if (b[o + 9] !== 1) return null;
    ic = o + hl;
    src = formatAddress(4, b.subarray(o + 12, o + 16));
    ttl = b[o + 8];
  } else if (version === 6) {
    if (o + 40 > end || b[o + 6] !== 58) return null;
    ic = o + 40;
    src = formatAddress(6, b.subarray(o + 8, o + 24));
    ttl = b[o + 7];
  } else return null;
  if (ic + 8 > end) return null;
  const m: Icmp = {
    v: version,
    src,
    ttl,
    type: b[ic],
    id: (b[ic + 4] << 8) | b[ic + 5],
    seq: (b[ic + 6] << 8) | b[ic + 7],
  };
  const isError = version === 4
    ? m.type === 11 || m.type === 3
    : m.type === 3 || m.type === 1;
  if (isError) {
    // The quoted packet: its IP header, then the echo request's header.
    const q = ic + 8;
    const inner = b[q] >> 4;
    const qic = inner === 4 ? q + (b[q] & 15) * 4 : q + 40;
    if (qic + 8 <= end) {
      m.quoted = {
        id: (b[qic + 4] << 8) | b[qic + 5],
        seq: (b[qic + 6] << 8) | b[qic + 7],
      };
    }
  }
  return m;
}

/** Every echo request in the capture with its first answer. */
export function wireProbes(pcap: Uint8Array): WireProbe[] {
  const view = new DataView(pcap.buffer, pcap.byteOffset, pcap.byteLength);
  const magic = view.getUint32(0, true);
  const nano = magic === 0xa1b23c4d;
  if (!nano && magic !== 0xa1b2c3d4) {
    throw new Error("not a little-endian pcap file");
  }
  const link = view.getUint32(20, true);
  const probes = new Map<string, WireProbe>();
  const order: WireProbe[] = [];
  for (let o = 24; o + 16 <= pcap.length;) {
    const sec = BigInt(view.getUint32(o, true));
    const frac = BigInt(view.getUint32(o + 4, true));
    const caplen = view.getUint32(o + 8, true);
    const ns = sec * 1_000_000_000n + (nano ? frac : frac * 1000n);
    const start = o + 16;
    const end = Math.min(start + caplen, pcap.length);
    o = start + caplen;
    let ip: number;
    if (link === LINKTYPE_ETHERNET) ip = start + 14;
    else if (link === LINKTYPE_LINUX_SLL) ip = start + 16;
    else if (link === LINKTYPE_LINUX_SLL2) ip = start + 20;
    else throw new Error(`pcap link type ${link} not supported`);
    const m = parseIp(pcap, ip, end);
    if (!m) continue;
    const request = m.v === 4 ? m.type === 8 : m.type === 128;
    const reply = m.v === 4 ? m.type === 0 : m.type === 129;
    if (request) {
      const p: WireProbe = {
        id: m.id,
        seq: m.seq,
        hop: m.ttl,
        sentNs: ns,
        answeredNs: null,
        from: null,
      };
      probes.set(`${m.id}/${m.seq}`, p);
      order.push(p);
      continue;
    }
    const key = reply
      ? `${m.id}/${m.seq}`
      : m.quoted
      ? `${m.quoted.id}/${m.quoted.seq}`
      : null;
    const p = key ? probes.get(key) : undefined;
    if (p && p.answeredNs === null) {
      p.answeredNs = ns;
      p.from = m.src;
    }
  }
  return order;
}

export interface WireHop {
  hop: number;
  sent: number;
  received: number;
  /** Mean RTT on the wire, ms; null when nothing answered. */
  avgRttMs: number | null;
}

/** Per-hop truth of the probes with these identifiers (one tool's), answers within `timeoutMs`. */
export function wireHops(
  probes: WireProbe[],
  ids: (id: number) => boolean,
  timeoutMs: number,
): WireHop[] {
  const byHop = new Map<number, { sent: number; rtts: number[] }>();
  for (const p of probes) {
    if (!ids(p.id)) continue;
    const h = byHop.get(p.hop) ?? { sent: 0, rtts: [] };
    byHop.set(p.hop, h);
    h.sent++;
    if (p.answeredNs !== null) {
      const ms = Number(p.answeredNs - p.sentNs) / 1e6;
      if (ms <= timeoutMs) h.rtts.push(ms);
    }
  }
  return [...byHop].sort((a, b) => a[0] - b[0]).map(([hop, h]) => ({
    hop,
    sent: h.sent,
    received: h.rtts.length,
    avgRttMs: h.rtts.length
      ? h.rtts.reduce((a, b) => a + b, 0) / h.rtts.length
      : null,
  }));
}
