// TEST-ONLY: sends a bounded burst of echo requests through the real shim
// (IcmpSocket) and counts the replies, for flow_checksum_test.ts. Imported by
// the test, and run by it as a child process inside a network namespace of
// its own (ping sockets there):
//   deno run --allow-ffi --allow-read --allow-env flow_sender_fixture.ts '<json>'
// with {"cookie": "<16 hex digits>", "targets": [{"address", "count",
// "sizes"}]}; prints one JSON line: [{"family", "mode", "ident", "replies"}].
// Network safety: refuses any target outside 198.18.0.0/15, 2001:db8::/32 and
// loopback.
import { EVENT_REPLY, IcmpSocket, type SocketMode } from "../icmp_socket.ts";
import { ShimError } from "../icmp_errors.ts";
import { type Family, parseAddress } from "../ip_address.ts";

/** At most this many probes per burst, and this long waiting for replies. */
export const MAX_PROBES = 256;
const REPLY_WAIT_MS = 3000;

export interface FlowBurst {
  /** IPv4 or IPv6 literal: 198.18.0.0/15, 2001:db8::/32 or loopback only. */
  address: string;
  count: number;
  /** Payload sizes, used in turn (probe i gets sizes[i % sizes.length]). */
  sizes: number[];
}

export interface FlowResult {
  family: Family;
  mode: SocketMode;
  /** The identifier the socket sends with. */
  ident: number;
  /** Probes answered with their own token (each counted once). */
  replies: number;
}

/** True for the only addresses a flow test may send to. */
export function allowedTarget(family: Family, b: Uint8Array): boolean {
  if (family === 4) {
    return b[0] === 127 || (b[0] === 198 && (b[1] === 18 || b[1] === 19));
  }
  const loopback = b.subarray(0, 15).every((x) => x === 0) && b[15] === 1;
  return loopback ||
    (b[0] === 0x20 && b[1] === 0x01 && b[2] === 0x0d && b[3] === 0xb8);
}

/** Sequence number and token of probe i: both vary from probe to probe. */
export const probeSeq = (i: number) => (0x1000 + i * 7919) & 0xffff;
export const probeToken = (i: number) => 0x5eed_0000_0000 + i * 104_729;

/**
 * Sends `burst.count` echo requests to `burst.address` (varying seq, token and
 * size, TTL default) and waits up to 3 s for their replies.
 */
export async function sendBurst(
  sock: IcmpSocket,
  burst: FlowBurst,
): Promise<FlowResult> {
  const a = parseAddress(burst.address);
  if (!a || !allowedTarget(a.family, a.bytes)) {
    throw new Error(`refusing target ${burst.address}`);
  }
  if (burst.count < 1 || burst.count > MAX_PROBES || !burst.sizes.length) {
    throw new RangeError(`1..${MAX_PROBES} probes and a size, please`);
  }
  const mode = sock.open(a.family);
  const addr = a.family === 4 ? a.bytes.subarray(0, 4) : a.bytes;
  const want = new Set<number>();
  for (let i = 0; i < burst.count; i++) {
    const size = burst.sizes[i % burst.sizes.length];
    const r = sock.send(a.family, addr, 0, probeSeq(i), probeToken(i), size, 0);
    if (typeof r === "number") throw new ShimError("pla_send", r);
    want.add(probeToken(i));
  }
  const seen = new Set<number>();
  const deadline = Date.now() + REPLY_WAIT_MS;
  while (seen.size < want.size && Date.now() < deadline) {
    await sock.wait(100_000);
    sock.drain((ev) => {
      if (
        ev.kind === EVENT_REPLY && ev.family === a.family && ev.hasToken &&
        want.has(ev.token)
      ) seen.add(ev.token);
    });
  }
  return {
    family: a.family,
    mode,
    ident: sock.ident(a.family),
    replies: seen.size,
  };
}

/** "0011…" (16 hex digits) as the 8 cookie bytes. */
export function cookieFromHex(hex: string): Uint8Array {
  if (!/^[0-9a-f]{16}$/i.test(hex)) throw new Error(`bad cookie ${hex}`);
  return Uint8Array.from(
    hex.match(/../g)!,
    (h) => parseInt(h, 16),
  );
}

if (import.meta.main) {
  const spec = JSON.parse(Deno.args[0]) as {
    cookie: string;
    targets: FlowBurst[];
  };
  const sock = IcmpSocket.create(cookieFromHex(spec.cookie));
  try {
    const out: FlowResult[] = [];
    for (const t of spec.targets) out.push(await sendBurst(sock, t));
    console.log(JSON.stringify(out));
  } finally {
    await sock.close();
  }
}
