// Paris-traceroute flow on the real wire: every echo request the shim sends
// from one context carries the same ICMP checksum (IPv4: pla_flow_checksum of
// the cookie; IPv6: one per destination and size), so a per-flow load
// balancer keeps a whole test on one path. Counted where the requests arrive,
// by nftables in the target's network namespace: a dynamic set keyed by the
// checksum, with a counter per element.
//
// Needs root, network namespaces, `ip` and `nft`. Network safety: the only
// addresses are a test bed's /30 in 198.18.0.0/15 and, inside two namespaces
// this file creates, 198.19.252.0/30 and 2001:db8:f10::/64; every burst is
// at most 256 probes and 3 s of waiting.
import assert from "node:assert/strict";
import { IcmpSocket } from "../icmp_socket.ts";
import { gate } from "../../testing/gate.ts";
import { mustRun, runCommand } from "../../testing/run_command.ts";
import {
  createTestbed,
  testbedUnavailableReason,
} from "../../testing/testbed/testbed.ts";
import { inetChecksum } from "../../testing/icmp_packet_kit.ts";
import { parseAddress } from "../ip_address.ts";
import { type FlowResult, sendBurst } from "./flow_sender_fixture.ts";

const FIXTURE = decodeURIComponent(
  new URL("flow_sender_fixture.ts", import.meta.url).pathname,
);
const PROBES = 64;
/** IPv4 sizes in turn: the checksum must not depend on them either. */
const SIZES_V4 = [18, 56, 1000, 1472];
/** IPv6: the pseudo-header holds the length, so one checksum per size. */
const SIZES_V6 = [56, 1000];

async function nftUnavailable(): Promise<string | null> {
  try {
    const r = await runCommand("nft", ["--version"]);
    return r.code === 0 ? null : `'nft --version' failed: ${r.stderr.trim()}`;
  } catch (e) {
    return `'nft' (nftables) not found: ${(e as Error).message}`;
  }
}

const ignore = gate(
  "flow checksum (nftables) tests",
  (await testbedUnavailableReason()) ?? (await nftUnavailable()),
);

/** pla_flow_checksum: the cookie's first two bytes, 0x0000 → 0x0001, 0xffff → 0xfffe. */
function flowChecksum(cookie: Uint8Array): number {
  const k = (cookie[0] << 8) | cookie[1];
  return k === 0 ? 1 : k === 0xffff ? 0xfffe : k;
}

/** The ICMPv6 checksum of a `len`-byte message from src to dst that sums to ~k. */
function flowChecksum6(src: string, dst: string, len: number, k: number) {
  const b = new Uint8Array(42);
  b.set(parseAddress(src)!.bytes, 0);
  b.set(parseAddress(dst)!.bytes, 16);
  new DataView(b.buffer).setUint32(32, len);
  b[39] = 58;
  b[40] = (~k >> 8) & 0xff;
  b[41] = ~k & 0xff;
  return inetChecksum(b);
}

const hex = (b: Uint8Array) =>
  Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

/** Starts counting echo requests per checksum in namespace `ns` (sets v4, v6). */
async function watchChecksums(ns: string): Promise<void> {
  const file = await Deno.makeTempFile({ suffix: ".nft" });
  try {
    await Deno.writeTextFile(
      file,
      `table inet plaflow {
  set v4 { typeof icmp checksum; flags dynamic; counter; }
  set v6 { typeof icmpv6 checksum; flags dynamic; counter; }
  chain in {
    type filter hook input priority 0; policy accept;
    icmp type echo-request update @v4 { icmp checksum }
    icmpv6 type echo-request update @v6 { icmpv6 checksum }
  }
}
`,
    );
    await mustRun("ip", ["netns", "exec", ns, "nft", "-f", file]);
  } finally {
    await Deno.remove(file);
  }
}

/** Checksum → echo requests counted so far in namespace `ns`. */
async function checksumsSeen(
  ns: string,
  family: 4 | 6,
): Promise<Map<number, number>> {
  const out = await mustRun("ip", [
    "netns",
    "exec",
    ns,
    "nft",
    "-j",
    "list",
    "set",
    "inet",
    "plaflow",
    `v${family}`,
  ]);
  type Elem = { elem?: { val: number; counter?: { packets: number } } };
  const doc = JSON.parse(out) as {
    nftables: { set?: { elem?: (Elem | number)[] } }[];
  };
  const set = doc.nftables.find((x) => x.set)?.set;
  assert.ok(set, `no set v${family} in ${out}`);
  const seen = new Map<number, number>();
  for (const e of set.elem ?? []) {
    assert.ok(
      typeof e === "object" && e.elem,
      `element without counter: ${out}`,
    );
    seen.set(e.elem.val, e.elem.counter?.packets ?? 0);
  }
  return seen;
}

/** "0x1234×64, …" in checksum order: what was seen, comparable as text. */
const show = (m: Map<number, number>) =>
  [...m].sort((x, y) => x[0] - y[0])
    .map(([k, n]) => `0x${k.toString(16).padStart(4, "0")}×${n}`)
    .join(", ") || "none";

Deno.test({
  name:
    "IPv4 from this process (raw socket as root) to a test-bed namespace: 64 echo requests, one ICMP checksum on the wire",
  ignore,
  async fn() {
    await using bed = await createTestbed({ kernelEcho: true });
    await watchChecksums(bed.nsName);
    const cookie = crypto.getRandomValues(new Uint8Array(8));
    const sock = IcmpSocket.create(cookie);
    let r: FlowResult;
    try {
      r = await sendBurst(sock, {
        address: bed.targetAddress,
        count: PROBES,
        sizes: SIZES_V4,
      });
    } finally {
      await sock.close();
    }
    const k = flowChecksum(cookie);
    const seen = await checksumsSeen(bed.nsName, 4);
    const what = `cookie ${hex(cookie)}, ${r.mode} socket, ident ${r.ident}`;
    assert.equal(r.replies, PROBES, `replies (${what})`);
    assert.equal(
      show(seen),
      show(new Map([[k, PROBES]])),
      `checksums on the wire (${what})`,
    );
  },
});

/** Runs `cmd` in namespace `ns`. */
const inNs = (ns: string, cmd: string[]) =>
  mustRun("ip", ["netns", "exec", ns, ...cmd]);

Deno.test({
  name:
    "raw and ping sockets, IPv4 and IPv6, from a namespace of their own: one checksum per flow on the wire (per size for IPv6)",
  ignore,
  async fn() {
    const a = `pla-flow-${Deno.pid}-a`, b = `pla-flow-${Deno.pid}-b`;
    const [a4, b4, a6, b6] = [
      "198.19.252.1",
      "198.19.252.2",
      "2001:db8:f10::1",
      "2001:db8:f10::2",
    ];
    await mustRun("ip", ["netns", "add", a]);
    try {
      await mustRun("ip", ["netns", "add", b]);
      const ipA = (...args: string[]) => mustRun("ip", ["-n", a, ...args]);
      const ipB = (...args: string[]) => mustRun("ip", ["-n", b, ...args]);
      await ipA("link", "add", "plfa", "type", "veth", "peer", "name", "plfb");
      await ipA("link", "set", "plfb", "netns", b);
      await ipA("addr", "add", `${a4}/30`, "dev", "plfa");
      await ipB("addr", "add", `${b4}/30`, "dev", "plfb");
      await ipA("addr", "add", `${a6}/64`, "dev", "plfa", "nodad");
      await ipB("addr", "add", `${b6}/64`, "dev", "plfb", "nodad");
      for (const [ip, dev] of [[ipA, "plfa"], [ipB, "plfb"]] as const) {
        await ip("link", "set", "lo", "up");
        await ip("link", "set", dev, "up");
      }
      await watchChecksums(b);
      const cookie = crypto.getRandomValues(new Uint8Array(8));
      const k = flowChecksum(cookie);
      for (
        const [range, mode] of [["1 0", "raw"], ["0 2147483647", "dgram"]]
      ) {
        await inNs(a, ["sysctl", "-qw", `net.ipv4.ping_group_range=${range}`]);
        await inNs(b, ["nft", "flush", "set", "inet", "plaflow", "v4"]);
        await inNs(b, ["nft", "flush", "set", "inet", "plaflow", "v6"]);
        const spec = {
          cookie: hex(cookie),
          targets: [
            { address: b4, count: PROBES, sizes: SIZES_V4 },
            { address: b6, count: PROBES, sizes: SIZES_V6 },
          ],
        };
        const out = await inNs(a, [
          Deno.execPath(),
          "run",
          "--allow-ffi",
          "--allow-read",
          "--allow-env",
          FIXTURE,
          JSON.stringify(spec),
        ]);
        const results = JSON.parse(out) as FlowResult[];
        const what = `cookie ${hex(cookie)}, ${out.trim()}`;
        assert.deepEqual(results.map((r) => r.mode), [mode, mode], what);
        assert.deepEqual(
          results.map((r) => r.replies),
          [PROBES, PROBES],
          `replies (${what})`,
        );
        assert.equal(
          show(await checksumsSeen(b, 4)),
          show(new Map([[k, PROBES]])),
          `IPv4 checksums on the wire (${what})`,
        );
        const want6 = new Map(
          SIZES_V6.map((s) => [
            flowChecksum6(a6, b6, 8 + s, k),
            PROBES / SIZES_V6.length,
          ]),
        );
        assert.equal(
          show(await checksumsSeen(b, 6)),
          show(want6),
          `IPv6 checksums on the wire (${what})`,
        );
      }
    } finally {
      await runCommand("ip", ["netns", "del", a]).catch(() => {});
      await runCommand("ip", ["netns", "del", b]).catch(() => {});
    }
  },
});
