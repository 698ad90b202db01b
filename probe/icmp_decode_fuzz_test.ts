// Fuzzes the shim's packet decoder (pla_decode, the code every received
// packet goes through) over FFI with random, truncated, mutated, foreign and
// spoofed packets. Seeded: PLA_FUZZ_SEED=<n> replays a run; the seed is printed
// on failure. No packet is sent anywhere: decode only parses bytes.
import assert from "node:assert/strict";
import { IcmpEvent, IcmpSocket, type SocketMode } from "./icmp_socket.ts";
import type { Family } from "./ip_address.ts";
import {
  addr,
  ECHO_REPLY,
  ECHO_REQUEST,
  echoMessage,
  errorQuoting,
  inetChecksum,
  ipv4Packet,
  ipv6Packet,
  probePayload,
} from "../testing/icmp_packet_kit.ts";

const COOKIE = new Uint8Array([0xc0, 0x0c, 0x1e, 0x5a, 0x17, 0x42, 0x99, 0x01]);
const OTHER_COOKIE = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
const ERROR_TYPES: Record<Family, number[]> = {
  4: [3, 11, 12],
  6: [1, 2, 3, 4],
};
const CASES: [Family, SocketMode][] = [[4, "raw"], [4, "dgram"], [6, "raw"], [
  6,
  "dgram",
]];

/** mulberry32: small, seedable, good enough to pick bytes. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  return {
    int: (n: number) => Math.floor(next() * n),
    bytes: (n: number) =>
      Uint8Array.from({ length: n }, () => Math.floor(next() * 256)),
  };
}
type Rng = ReturnType<typeof prng>;

/** Bytes as the socket of `family`/`mode` delivers them: raw IPv4 keeps its IP header. */
function delivered(
  family: Family,
  mode: SocketMode,
  icmp: Uint8Array,
  from: Uint8Array,
): Uint8Array {
  return family === 4 && mode === "raw"
    ? ipv4Packet(from, addr(4, 1), icmp, { ttl: 61 })
    : icmp;
}

/** The echo request the engine would have sent, with its IP header (as an error quotes it). */
function quotedRequest(
  family: Family,
  ident: number,
  seq: number,
  payload: Uint8Array,
  dst: Uint8Array,
): Uint8Array {
  const req = echoMessage(ECHO_REQUEST[family], ident, seq, payload);
  return family === 4
    ? ipv4Packet(addr(4, 1), dst, req)
    : ipv6Packet(addr(6, 1), dst, req);
}

function indexOfBytes(hay: Uint8Array, needle: Uint8Array, from = 0): number {
  outer: for (let i = from; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) {
      if (hay[i + j] !== needle[j]) continue outer;
    }
    return i;
  }
  return -1;
}

/** The tokens the packet carries after a copy of our cookie (what hasToken may report). */
function tokensInPacket(pkt: Uint8Array): number[] {
  const out: number[] = [];
  for (
    let i = indexOfBytes(pkt, COOKIE);
    i >= 0;
    i = indexOfBytes(pkt, COOKIE, i + 1)
  ) {
    if (i + 16 > pkt.length) continue;
    const v = new DataView(pkt.buffer, pkt.byteOffset + i + 8, 8);
    out.push(Number(v.getBigUint64(0, true)));
  }
  return out;
}

/** IPv4 raw packets are accepted only with a sound IP header and ICMP checksum. */
function soundIpv4(pkt: Uint8Array): boolean {
  if (pkt.length < 20 || pkt[0] >> 4 !== 4 || pkt[9] !== 1) return false;
  const hl = (pkt[0] & 15) * 4;
  const tot = (pkt[2] << 8) | pkt[3];
  return hl >= 20 && tot >= hl + 8 && tot <= pkt.length &&
    inetChecksum(pkt.subarray(hl, tot)) === 0;
}

/** Invariants of any event the decoder returns, whatever the input. */
function checkWellFormed(
  ev: IcmpEvent,
  family: Family,
  mode: SocketMode,
  pkt: Uint8Array,
  ident: number,
): void {
  assert.ok(ev.kind === 1 || ev.kind === 2, `kind ${ev.kind}`);
  assert.equal(ev.family, family);
  assert.equal(ev.rxNs, 0, "decode sets no receive time");
  assert.equal(ev.kernelTs, false);
  assert.ok(ev.ttl === null || (ev.ttl >= 0 && ev.ttl <= 255), `ttl ${ev.ttl}`);
  assert.ok(ev.length <= pkt.length, `length ${ev.length} > ${pkt.length}`);
  assert.ok(
    ev.seq >= 0 && ev.seq <= 0xffff && ev.ident >= 0 && ev.ident <= 0xffff,
  );
  if (ev.kind === 1) assert.equal(ev.icmpType, ECHO_REPLY[family]);
  else {
    assert.ok(ERROR_TYPES[family].includes(ev.icmpType), `type ${ev.icmpType}`);
    assert.equal(ev.length, 0);
  }
  if (ev.hasToken) {
    assert.ok(
      tokensInPacket(pkt).includes(ev.token),
      "a token is only ever taken from behind our cookie",
    );
  } else assert.equal(ev.token, 0);
  if (mode === "raw") {
    assert.equal(ev.ident, ident, "raw sockets take only our identifier");
    if (ev.kind === 1) assert.ok(ev.hasToken, "raw replies need our cookie");
    if (family === 4) {
      assert.ok(soundIpv4(pkt), "IPv4 header and checksum were checked");
    }
  }
}

function decodeChecked(
  sock: IcmpSocket,
  family: Family,
  mode: SocketMode,
  pkt: Uint8Array,
  ident: number,
): IcmpEvent | null {
  const ev = sock.decode(family, mode, pkt);
  if (ev) checkWellFormed(ev, family, mode, pkt, ident);
  return ev;
}

/** Randomly damages a copy of `pkt`: flipped bytes, cut, extended, IHL, lengths, checksums. */
function mutate(rng: Rng, pkt: Uint8Array): Uint8Array {
  let p = pkt.slice();
  for (let n = 1 + rng.int(3); n > 0; n--) {
    const at = p.length ? rng.int(p.length) : 0;
    switch (rng.int(7)) {
      case 0:
        if (p.length) p[at] ^= 1 << rng.int(8);
        break;
      case 1:
        if (p.length) p[at] = rng.int(256);
        break;
      case 2:
        p = p.slice(0, rng.int(p.length + 1));
        break;
      case 3: {
        const q = new Uint8Array(p.length + 1 + rng.int(40));
        q.set(p);
        q.set(rng.bytes(q.length - p.length), p.length);
        p = q;
        break;
      }
      case 4:
        if (p.length) p[0] = (p[0] & 0xf0) | rng.int(16); // IHL
        break;
      case 5:
        if (p.length > 3) [p[2], p[3]] = [rng.int(256), rng.int(256)]; // total length / checksum
        break;
      default:
        if (p.length > 30) p[22 + rng.int(2)] ^= 0xff; // ICMP checksum of a raw v4 packet
    }
  }
  return p;
}

Deno.test("pla_decode fuzz: random, truncated, mutated, foreign and spoofed packets", async () => {
  const seed = Number(Deno.env.get("PLA_FUZZ_SEED") ?? (Date.now() % 2 ** 31));
  const rng = prng(seed);
  const sock = IcmpSocket.create(COOKIE);
  try {
    // A raw socket checks the identifier of its own socket; use the real one when it opens.
    const idents: Record<Family, number> = { 4: 0, 6: 0 };
    for (const f of [4, 6] as Family[]) {
      try {
        sock.open(f);
        idents[f] = sock.ident(f);
      } catch { /* unopened: identifier 0, decoding still works */ }
    }
    let accepted = 0;
    for (const [family, mode] of CASES) {
      const ident = idents[family];
      const from = addr(family, 9);
      for (let i = 0; i < 10000; i++) {
        // Pure noise, sometimes shaped like an IP header or an ICMP message.
        const junk = rng.bytes(rng.int(200));
        if (junk.length && rng.int(2)) {
          junk[0] = family === 4 ? 0x45 : ECHO_REPLY[family];
        }
        decodeChecked(sock, family, mode, junk, ident);

        const seq = rng.int(0x10000);
        const token = rng.int(2 ** 21) * 2 ** 32 + rng.int(2 ** 32);
        const payload = probePayload(COOKIE, token, 16 + rng.int(100));
        // Valid echo reply: decodes exactly.
        const reply = delivered(
          family,
          mode,
          echoMessage(ECHO_REPLY[family], ident, seq, payload),
          from,
        );
        const ev = decodeChecked(sock, family, mode, reply, ident);
        assert.ok(ev, "a valid reply decodes");
        assert.deepEqual(
          [ev.kind, ev.seq, ev.ident, ev.hasToken, ev.token, ev.length],
          [1, seq, ident, true, token, payload.length],
        );
        if (family === 4 && mode === "raw") {
          assert.equal(ev.ttl, 61);
          assert.deepEqual([...ev.from.subarray(0, 4)], [...from]);
        }
        // Valid ICMP error quoting our request: decodes with the request's seq, token, dst.
        const dst = addr(family, 7);
        const errType =
          ERROR_TYPES[family][rng.int(ERROR_TYPES[family].length)];
        const error = delivered(
          family,
          mode,
          errorQuoting(
            errType,
            1,
            quotedRequest(family, ident, seq, payload, dst),
          ),
          from,
        );
        const eev = decodeChecked(sock, family, mode, error, ident);
        assert.ok(eev, "a valid ICMP error decodes");
        assert.deepEqual(
          [
            eev.kind,
            eev.icmpType,
            eev.icmpCode,
            eev.seq,
            eev.hasToken,
            eev.token,
          ],
          [2, errType, 1, seq, true, token],
        );
        assert.deepEqual([...eev.dst.subarray(0, dst.length)], [...dst]);

        // Foreign: another process's identifier (raw sockets see every reply).
        const otherIdent = (ident + 1 + rng.int(0xfffe)) & 0xffff;
        const foreign = delivered(
          family,
          mode,
          echoMessage(ECHO_REPLY[family], otherIdent, seq, payload),
          from,
        );
        const fev = decodeChecked(sock, family, mode, foreign, ident);
        if (mode === "raw") assert.equal(fev, null, "foreign reply rejected");
        // Spoofed: our identifier, someone else's cookie: never carries a token of ours.
        const spoofPayload = probePayload(OTHER_COOKIE, token, payload.length);
        for (
          const pkt of [
            delivered(
              family,
              mode,
              echoMessage(ECHO_REPLY[family], ident, seq, spoofPayload),
              from,
            ),
            delivered(
              family,
              mode,
              errorQuoting(
                errType,
                0,
                quotedRequest(family, ident, seq, spoofPayload, dst),
              ),
              from,
            ),
          ]
        ) {
          const sev = decodeChecked(sock, family, mode, pkt, ident);
          assert.ok(!sev?.hasToken, "spoofed packet carries no token of ours");
        }
        // Every prefix of a raw IPv4 packet is short of its total length: rejected.
        if (family === 4 && mode === "raw") {
          const cut = rng.int(reply.length);
          assert.equal(sock.decode(family, mode, reply.subarray(0, cut)), null);
          assert.equal(
            sock.decode(family, mode, error.subarray(0, rng.int(error.length))),
            null,
          );
        }
        // Mutations of the valid packets: anything accepted still obeys the invariants.
        for (let m = 0; m < 4; m++) {
          if (
            decodeChecked(
              sock,
              family,
              mode,
              mutate(rng, m % 2 ? reply : error),
              ident,
            )
          ) {
            accepted++;
          }
        }
      }
    }
    assert.ok(
      accepted > 0,
      "some mutated packets stay valid (the fuzzer is not only producing junk)",
    );
  } catch (e) {
    console.error(`pla_decode fuzz failed with PLA_FUZZ_SEED=${seed}`);
    throw e;
  } finally {
    await sock.close();
  }
});
