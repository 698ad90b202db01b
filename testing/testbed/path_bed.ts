/**
 * Path test bed: a chain of real routers, each a network namespace, for
 * path-analysis (mtr-like, TTL-limited echo) tests. The prober is this
 * process in the root namespace (or, with `sourceNamespace`, an extra
 * namespace S in front of R1):
 *
 * ```
 * prober ── R1 ──┬── R2a ──┬── R3 ── D
 *                └── R2b ──┘
 * ```
 *
 * Hops: 1 = R1, 2 = R2a (or R2b), 3 = R3, 4 = D. IPv4 and IPv6 on every link,
 * kernel forwarding in the routers, kernel echo at D. The routers answer every
 * expiring probe (ICMP rate limits off) unless named in `rateLimited`. nftables
 * in every router injects exact loss (`setLoss`: a share of ARRIVING echo
 * requests dropped before TTL processing, counted per arriving TTL, so
 * `drops()` is the truth), R1 switches the route of the far links between R2a
 * and R2b (`useBranch`) or splits flows over both like a hardware load
 * balancer hashing addresses and the ICMP type, code and checksum (`ecmp`).
 *
 * Addresses: link i (0 prober-R1, 1 R1-R2a, 2 R1-R2b, 3 R2a-R3, 4 R2b-R3,
 * 5 R3-D) is the i-th /30 of the /27 and <the /48>:i::/64; the end nearer the
 * prober is .1 / ::1, the other .2 / ::2. Measured on Linux 6.18: IPv4 "time
 * exceeded" leaves from the interface of the route back to the prober (R3
 * answers from its R2a-side address on both branches), IPv6 from the
 * interface the probe arrived on (`hopsVia`). A kernel-default router answers
 * 50 expiring probes sent 20 ms apart about 7 times in IPv4 (burst 6, then
 * 1/s) and about 16 times in IPv6 (its 1 s interval is divided by 16 for a
 * default route back).
 *
 * Needs root (namespaces, veth, nftables), `ip` (iproute2), `nft` (nftables),
 * `ping` (iputils-ping) and `sysctl`. Deno permissions: --allow-run
 * --allow-read --allow-write.
 *
 * Network safety: every address is in the bed's own free /27 of
 * 198.18.0.0/15 and /48 of 2001:db8::/32. The root namespace gets routes for
 * exactly those two prefixes (via R1) and nothing else; R1 has no default
 * route (the prober is on its link), so traffic toward any other address dies
 * in the bed with "network unreachable". `ping()` and `runInSource()` users
 * should check `isBedAddress`; `ping()` refuses anything else. Namespaces are
 * named pla-tb-<pid>-<tag>..., deleted by destroy(), by an unload hook, and by
 * the stale-namespace sweep of testbed.ts when their creator is gone.
 *
 * @example
 * ```ts
 * await using bed = await createPathBed();
 * await bed.setLoss("R3", 30);
 * const r = await bed.ping(bed.destination.v4, { count: 200, intervalMs: 10 });
 * const lost = sumCounts(await bed.drops("R3"));   // === r.transmitted - r.received
 * ```
 */

import {
  type CommandOptions,
  type CommandResult,
  mustRun,
  runCommand,
} from "../run_command.ts";
import {
  intToIp,
  ipToInt,
  overlaps,
  removeStaleNamespaces,
  usedRanges,
} from "./testbed.ts";

// ------------------------------------------------------------------- types

export type RouterName = "R1" | "R2a" | "R2b" | "R3";
export type Branch = "a" | "b";
export const ROUTERS: readonly RouterName[] = ["R1", "R2a", "R2b", "R3"];

export interface PathBedOptions {
  /** These routers keep the kernel's ICMP rate limits; the others answer every probe. */
  rateLimited?: RouterName[];
  /** Prober in an extra namespace S (ping sockets allowed for every group) instead of the root namespace. */
  sourceNamespace?: boolean;
}

export interface DualAddress {
  v4: string;
  v6: string;
}

export interface HopList {
  /** Expected answering address per hop (index 0 = hop 1), the destination last. */
  v4: string[];
  v6: string[];
}

/** Packet counts keyed by the TTL / hop limit the packet ARRIVED with; zero entries left out. */
export interface TtlCounts {
  v4: Record<number, number>;
  v6: Record<number, number>;
}

export interface PingOptions {
  /** Echo requests to send (1..1000, default 1). */
  count?: number;
  /** Gap between sends, ms (>= 2, default 1000 / count capped at 200). */
  intervalMs?: number;
  /** IP TTL / IPv6 hop limit of the requests (default 64). */
  ttl?: number;
  /** How long to wait for the last answer, s (1..5, default 1). */
  waitS?: number;
  /** ICMP identifier (ping -e; ping sockets pick their own). */
  ident?: number;
  /** Payload bytes (ping -s, 0..1000; default 56). 0 sends no timestamp, so equal ident and seq mean equal packets. */
  size?: number;
  /** Run ping with CAP_NET_RAW dropped (ping socket); only with sourceNamespace. */
  noRawSockets?: boolean;
}

export interface PingResult {
  transmitted: number;
  /** Echo replies (duplicates not counted), from ping's summary line. */
  received: number;
  /** First to last send, ms (ping's summary "time"). */
  elapsedMs: number;
  /** icmp_seq of every echo reply (duplicates included). */
  replySeqs: number[];
  /** Every ICMP error ping printed: its source, seq and ping's text. */
  errors: { from: string; seq: number; text: string }[];
  /** Sources of "time exceeded" answers (one per answer). */
  timeExceededFrom: string[];
  /** Sources of the echo replies. */
  replyFrom: string[];
  stdout: string;
}

export interface PathBed {
  /** Per router, its address on the link toward the prober (R3: the R2a link); hops 1-3 on branch a. */
  readonly routers: Readonly<Record<RouterName, DualAddress>>;
  /** Expected hop addresses with R1 routing via R2a (the default). */
  readonly hops: HopList;
  /**
   * Expected hop addresses per branch. IPv4 "time exceeded" comes from the
   * interface of the route back (R3: its R2a-side address on both branches);
   * IPv6 from the interface the probe arrived on (R3 via R2b: its R2b side).
   */
  readonly hopsVia: Readonly<Record<Branch, HopList>>;
  /** D's address: probe this. */
  readonly destination: DualAddress;
  /** The prober's own address. */
  readonly prober: DualAddress;
  /** e.g. "198.18.32.0/27" and "2001:db8:1a2b::/48". */
  readonly prefixes: DualAddress;
  /** Namespace names (S only with sourceNamespace). */
  readonly namespaces: Readonly<Record<RouterName | "D", string>> & {
    S?: string;
  };
  /** The prober namespace S, or null when the prober is the root namespace. */
  readonly sourceNs: string | null;
  /** True for an address inside the bed's two prefixes. */
  isBedAddress(ip: string): boolean;
  /** Drops `percent`% (integer 0..100) of echo requests arriving at `router`, chosen once per packet. */
  setLoss(router: RouterName, percent: number): Promise<void>;
  /** No more loss at `router` (every router when omitted). Counters are kept. */
  clearLoss(router?: RouterName): Promise<void>;
  /** Echo requests `router` dropped, by arriving TTL, both families (cumulative). */
  drops(router: RouterName): Promise<TtlCounts>;
  /** Echo requests that arrived at `router` (dropped or not), by arriving TTL. */
  arrivals(router: RouterName): Promise<TtlCounts>;
  /** R1 routes the far links (R3's and D's) via R2a or R2b, both families. */
  useBranch(branch: Branch): Promise<void>;
  /** R1 splits ICMP from the prober over R2a and R2b by a hash of addresses, type, code and checksum. */
  ecmp(on: boolean): Promise<void>;
  /** Echo requests R1 forwarded toward R2a and R2b so far, both families. */
  branchCounts(): Promise<{ a: number; b: number }>;
  /** Kernel-default ICMP rate limits (true) or none (false) at `router`. */
  setRateLimit(router: RouterName, limited: boolean): Promise<void>;
  /** Runs a command as the prober: inside S (optionally without CAP_NET_RAW), else in this namespace. */
  runInSource(
    cmd: string,
    args: string[],
    opts?: CommandOptions & { noRawSockets?: boolean },
  ): Promise<CommandResult>;
  /** iputils ping from the prober to a bed address (refuses any other), bounded in count and time. */
  ping(dst: string, opts?: PingOptions): Promise<PingResult>;
  /** Deletes every namespace (and so every veth and the root routes). Idempotent. */
  destroy(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

// ------------------------------------------------------------ availability

let unavailable: Promise<string | null> | undefined;

/** null when the path bed can be built here; otherwise why not (for test skips). */
export function pathBedUnavailableReason(): Promise<string | null> {
  unavailable ??= checkAvailability();
  return unavailable;
}

async function checkAvailability(): Promise<string | null> {
  if (Deno.build.os !== "linux") {
    return `needs Linux (this is ${Deno.build.os})`;
  }
  for (const name of ["run", "read", "write"] as const) {
    const st = await Deno.permissions.query({ name });
    if (st.state !== "granted") return `needs --allow-${name}`;
  }
  try {
    const uid = (await runCommand("id", ["-u"])).stdout.trim();
    if (uid !== "0") return `needs root (effective uid ${uid || "unknown"})`;
  } catch (e) {
    return `cannot run 'id -u': ${(e as Error).message}`;
  }
  const tools: [string, string[], string][] = [
    ["ip", ["-V"], "iproute2"],
    ["nft", ["--version"], "nftables"],
    ["ping", ["-V"], "iputils-ping"],
    ["sysctl", ["-V"], "procps"],
  ];
  for (const [cmd, args, pkg] of tools) {
    try {
      const r = await runCommand(cmd, args);
      if (r.code !== 0) return `'${cmd}' does not work: ${r.stderr.trim()}`;
    } catch {
      return `'${cmd}' not found (install ${pkg})`;
    }
  }
  // The real test: a namespace with nftables in it.
  const ns = `${NS_PREFIX}${Deno.pid}-chk${randomHex(3)}`;
  try {
    const add = await runCommand("ip", ["netns", "add", ns]);
    if (add.code !== 0) return `'ip netns add' failed: ${add.stderr.trim()}`;
    const nft = await runCommand("ip", [
      "netns",
      "exec",
      ns,
      "nft",
      "add table inet pla_chk",
    ]);
    if (nft.code !== 0) {
      return `nftables unusable in a namespace: ${nft.stderr.trim()}`;
    }
    return null;
  } finally {
    await runCommand("ip", ["netns", "del", ns]).catch(() => {});
  }
}

// ---------------------------------------------------------------- topology

const NS_PREFIX = "pla-tb-";
type Node = "P" | RouterName | "D";

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
const FAR_LINKS = [3, 4, 5];
const TABLE = { a: 101, b: 102 } as const;
const V4_BLOCK = 32; // a /27: 8 /30s, 6 used
const BENCH_BASE = ipToInt("198.18.0.0");
const BENCH_SIZE = 1 << 17;

function randomHex(bytes: number): string {
  const b = crypto.getRandomValues(new Uint8Array(bytes));
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

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

function v6Overlaps(a: bigint, aLen: number, b: bigint, bLen: number): boolean {
  const len = BigInt(128 - Math.min(aLen, bLen));
  return (a >> len) === (b >> len);
}

async function pickV4Block(): Promise<number> {
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

async function pickV6Tag(): Promise<number> {
  const used = await usedV6();
  for (let i = 0; i < 1000; i++) {
    const tag = Math.floor(Math.random() * 65536);
    const net = ipv6ToBigInt(`2001:db8:${tag.toString(16)}::`);
    if (!used.some((u) => v6Overlaps(u.net, u.len, net, 48))) return tag;
  }
  throw new Error("no free /48 in 2001:db8::/32");
}

// ------------------------------------------------------- cleanup registry

const live = new Set<string>();
let unloadHooked = false;

function hookUnload() {
  if (unloadHooked) return;
  unloadHooked = true;
  globalThis.addEventListener("unload", () => {
    for (const ns of live) {
      try {
        new Deno.Command("ip", {
          args: ["netns", "del", ns],
          stdout: "null",
          stderr: "null",
        })
          .outputSync();
      } catch {
        // best effort
      }
    }
    live.clear();
  });
}

// -------------------------------------------------------------- nftables

const TTLS = Array.from({ length: 256 }, (_, i) => i);

function counterMap(kind: "a" | "d", fam: 4 | 6): string {
  return `{ ${TTLS.map((t) => `${t} : "${kind}${fam}_${t}"`).join(", ")} }`;
}

/** Rules of the echo-request chains: count every arrival, drop P% (one numgen draw per packet). */
function lossRules(percent: number): string {
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

function routerRuleset(router: RouterName): string {
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
function ecmpRules(on: boolean, seed: number): string {
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

async function nftScript(ns: string, script: string): Promise<void> {
  const file = await Deno.makeTempFile({ prefix: "pla-nft-", suffix: ".nft" });
  try {
    await Deno.writeTextFile(file, script);
    await mustRun("ip", ["netns", "exec", ns, "nft", "-f", file]);
  } finally {
    await Deno.remove(file).catch(() => {});
  }
}

async function nftCounters(ns: string): Promise<Map<string, number>> {
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
      "pla",
    ]),
  ) as { nftables: { counter?: { name: string; packets: number } }[] };
  const m = new Map<string, number>();
  for (const o of j.nftables) {
    if (o.counter) m.set(o.counter.name, o.counter.packets);
  }
  return m;
}

async function ipBatch(ns: string | null, lines: string[]): Promise<void> {
  if (lines.length === 0) return;
  const file = await Deno.makeTempFile({ prefix: "pla-ip-", suffix: ".batch" });
  try {
    await Deno.writeTextFile(file, lines.join("\n") + "\n");
    await mustRun("ip", [...(ns ? ["-n", ns] : []), "-batch", file]);
  } finally {
    await Deno.remove(file).catch(() => {});
  }
}

// ------------------------------------------------------------------- sysctl

/** ICMP rate-limit sysctls: "off" answers every probe; the kernel defaults come from a fresh namespace. */
const NO_RATE_LIMIT: Record<string, string> = {
  "net.ipv4.icmp_ratelimit": "0",
  "net.ipv4.icmp_msgs_per_sec": "1000000",
  "net.ipv4.icmp_msgs_burst": "100000",
  "net.ipv6.icmp.ratelimit": "0",
};

async function sysctlSet(
  ns: string,
  kv: Record<string, string>,
): Promise<void> {
  await mustRun("ip", [
    "netns",
    "exec",
    ns,
    "sysctl",
    "-qw",
    ...Object.entries(kv).map(([k, v]) => `${k}=${v}`),
  ]);
}

async function sysctlGet(
  ns: string,
  keys: string[],
): Promise<Record<string, string>> {
  const out = await mustRun("ip", [
    "netns",
    "exec",
    ns,
    "sysctl",
    "-n",
    ...keys,
  ]);
  const vals = out.split("\n").map((s) => s.trim()).filter((s) => s !== "");
  if (vals.length !== keys.length) {
    throw new Error(`sysctl -n ${keys.join(" ")}: ${out}`);
  }
  return Object.fromEntries(keys.map((k, i) => [k, vals[i]]));
}

// ------------------------------------------------------------------- ping

/** Parses iputils ping output. */
export function parsePing(stdout: string): Omit<PingResult, "stdout"> {
  const res: Omit<PingResult, "stdout"> = {
    transmitted: 0,
    received: 0,
    elapsedMs: 0,
    replySeqs: [],
    errors: [],
    timeExceededFrom: [],
    replyFrom: [],
  };
  for (const line of stdout.split("\n")) {
    let m = line.match(/^\d+ bytes from ([0-9a-fA-F.:]+?):? icmp_seq=(\d+)/);
    if (m) {
      res.replyFrom.push(m[1]);
      res.replySeqs.push(Number(m[2]));
      continue;
    }
    m = line.match(/^From ([0-9a-fA-F.:]+?):? icmp_seq=(\d+) (.*)$/);
    if (m) {
      res.errors.push({ from: m[1], seq: Number(m[2]), text: m[3] });
      if (/time to live exceeded|time exceeded/i.test(m[3])) {
        res.timeExceededFrom.push(m[1]);
      }
      continue;
    }
    m = line.match(/^(\d+) packets transmitted, (\d+) received/);
    if (m) {
      res.transmitted = Number(m[1]);
      res.received = Number(m[2]);
      const t = line.match(/, time (\d+)ms/);
      if (t) res.elapsedMs = Number(t[1]);
    }
  }
  return res;
}

// --------------------------------------------------------------- the bed

/** Builds the bed: 5 router/destination namespaces (+ S), 6 veth links, routes, nftables. */
export async function createPathBed(
  opts: PathBedOptions = {},
): Promise<PathBed> {
  const reason = await pathBedUnavailableReason();
  if (reason) throw new Error(`path bed unavailable: ${reason}`);
  for (const r of opts.rateLimited ?? []) {
    if (!ROUTERS.includes(r)) {
      throw new Error(`rateLimited: unknown router ${r}`);
    }
  }
  hookUnload();
  await removeStaleNamespaces();

  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const tag = randomHex(3);
    const base = `${NS_PREFIX}${Deno.pid}-${tag}`;
    const nsOf: Record<Exclude<Node, "P">, string> & { S?: string } = {
      R1: `${base}r1`,
      R2a: `${base}r2a`,
      R2b: `${base}r2b`,
      R3: `${base}r3`,
      D: `${base}d`,
    };
    if (opts.sourceNamespace) nsOf.S = `${base}s`;
    const created: string[] = [];
    const teardown = async () => {
      for (const ns of created) {
        live.delete(ns);
        await runCommand("ip", ["netns", "del", ns]).catch(() => {});
      }
    };
    try {
      for (const ns of Object.values(nsOf)) {
        const add = await runCommand("ip", ["netns", "add", ns]);
        if (add.code !== 0) {
          throw new Error(`ip netns add ${ns}: ${add.stderr.trim()}`);
        }
        created.push(ns);
        live.add(ns);
      }
      const bed = await build(opts, tag, nsOf);
      return makePathBed(bed, teardown);
    } catch (e) {
      lastError = e;
      await teardown();
      if (!(e instanceof Error && e.message.includes("taken concurrently"))) {
        throw e;
      }
    }
  }
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}

interface Built {
  nsOf: Record<Exclude<Node, "P">, string> & { S?: string };
  /** Namespace of the prober, null = root. */
  proberNs: string | null;
  v4Start: number;
  v6Tag: string;
  addr: (link: number, end: "up" | "down") => DualAddress;
  defaults: Record<RouterName, Record<string, string>>;
  ecmpSeed: number;
}

async function build(
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

function countsOf(m: Map<string, number>, kind: "a" | "d"): TtlCounts {
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

/** Sum of every count, both families. */
export function sumCounts(c: TtlCounts): number {
  let s = 0;
  for (const fam of [c.v4, c.v6]) for (const n of Object.values(fam)) s += n;
  return s;
}

function makePathBed(b: Built, teardown: () => Promise<void>): PathBed {
  const { nsOf, addr } = b;
  const routers: Record<RouterName, DualAddress> = {
    R1: addr(0, "down"),
    R2a: addr(1, "down"),
    R2b: addr(2, "down"),
    // R3's address on the R2a link (its route back goes via R2a).
    R3: addr(3, "down"),
  };
  const destination = addr(5, "down");
  const hopsFor = (mid: DualAddress, r3v6: string): HopList => ({
    v4: [routers.R1.v4, mid.v4, routers.R3.v4, destination.v4],
    v6: [routers.R1.v6, mid.v6, r3v6, destination.v6],
  });
  // IPv4 time exceeded leaves from the interface of the route back (R3:
  // toward R2a on both branches); IPv6 from the interface the probe arrived on.
  const hopsVia = {
    a: hopsFor(routers.R2a, addr(3, "down").v6),
    b: hopsFor(routers.R2b, addr(4, "down").v6),
  };
  const net6 = ipv6ToBigInt(`2001:db8:${b.v6Tag}::`);
  const isBedAddress = (ip: string): boolean => {
    if (ip.includes(":")) {
      try {
        return v6Overlaps(ipv6ToBigInt(ip), 128, net6, 48);
      } catch {
        return false;
      }
    }
    try {
      const n = ipToInt(ip);
      return n >= b.v4Start && n < b.v4Start + V4_BLOCK;
    } catch {
      return false;
    }
  };
  let destroyed: Promise<void> | undefined;
  const alive = () => {
    if (destroyed) throw new Error("path bed already destroyed");
  };
  // iputils ping carries the file capability cap_net_raw=ep, and exec of a
  // file whose capability the bounding set lacks fails (EPERM): without
  // CAP_NET_RAW the bed runs a copy without it (cp drops the xattr), which
  // falls back to a ping socket like any unprivileged program.
  let plainPing: Promise<string> | undefined;
  const plainPingPath = () => {
    plainPing ??= (async () => {
      const src = (await mustRun("sh", ["-c", "command -v ping"])).trim();
      const dst = await Deno.makeTempFile({ prefix: "pla-ping-" });
      await mustRun("cp", [src, dst]);
      await Deno.chmod(dst, 0o755);
      return dst;
    })();
    return plainPing;
  };
  const destroy = () => {
    destroyed ??= (async () => {
      await teardown();
      if (plainPing) await Deno.remove(await plainPing).catch(() => {});
    })();
    return destroyed;
  };

  const runInSource: PathBed["runInSource"] = (cmd, args, o = {}) => {
    alive();
    const { noRawSockets, ...cmdOpts } = o;
    if (!b.proberNs) {
      if (noRawSockets) {
        throw new Error("noRawSockets needs sourceNamespace: true");
      }
      return runCommand(cmd, args, cmdOpts);
    }
    const drop = noRawSockets
      ? ["setpriv", "--bounding-set=-net_raw", "--inh-caps=-net_raw"]
      : [];
    return runCommand("ip", [
      "netns",
      "exec",
      b.proberNs,
      ...drop,
      cmd,
      ...args,
    ], cmdOpts);
  };

  return {
    routers,
    hops: hopsVia.a,
    hopsVia,
    destination,
    prober: addr(0, "up"),
    prefixes: { v4: `${intToIp(b.v4Start)}/27`, v6: `${formatIpv6(net6)}/48` },
    namespaces: nsOf,
    sourceNs: b.proberNs,
    isBedAddress,
    async setLoss(router, percent) {
      alive();
      if (!Number.isInteger(percent) || percent < 0 || percent > 100) {
        throw new Error(
          `setLoss: percent must be an integer 0..100, not ${percent}`,
        );
      }
      await nftScript(nsOf[router], lossRules(percent));
    },
    async clearLoss(router) {
      alive();
      for (const r of router ? [router] : ROUTERS) {
        await nftScript(nsOf[r], lossRules(0));
      }
    },
    async drops(router) {
      alive();
      return countsOf(await nftCounters(nsOf[router]), "d");
    },
    async arrivals(router) {
      alive();
      return countsOf(await nftCounters(nsOf[router]), "a");
    },
    async useBranch(branch) {
      alive();
      const hop = branch === "a" ? addr(1, "down") : addr(2, "down");
      const lines: string[] = [];
      for (const f of FAR_LINKS) {
        lines.push(
          `route replace ${intToIp(b.v4Start + 4 * f)}/30 via ${hop.v4}`,
          `route replace 2001:db8:${b.v6Tag}:${f}::/64 via ${hop.v6}`,
        );
      }
      await ipBatch(nsOf.R1, lines);
    },
    async ecmp(on) {
      alive();
      await nftScript(nsOf.R1, ecmpRules(on, b.ecmpSeed));
    },
    async branchCounts() {
      alive();
      const m = await nftCounters(nsOf.R1);
      return {
        a: (m.get("br4a") ?? 0) + (m.get("br6a") ?? 0),
        b: (m.get("br4b") ?? 0) + (m.get("br6b") ?? 0),
      };
    },
    async setRateLimit(router, limited) {
      alive();
      await sysctlSet(
        nsOf[router],
        limited ? b.defaults[router] : NO_RATE_LIMIT,
      );
    },
    runInSource,
    async ping(dst, o = {}) {
      alive();
      if (!isBedAddress(dst)) {
        throw new Error(`refusing to ping ${dst}: not in this path bed`);
      }
      const count = o.count ?? 1;
      if (!Number.isInteger(count) || count < 1 || count > 1000) {
        throw new Error(`ping: count must be 1..1000`);
      }
      const intervalMs = o.intervalMs ?? Math.min(200, 1000 / count);
      if (!(intervalMs >= 2 && intervalMs <= 1000)) {
        throw new Error("ping: intervalMs must be 2..1000");
      }
      const waitS = o.waitS ?? 1;
      if (!Number.isInteger(waitS) || waitS < 1 || waitS > 5) {
        throw new Error("ping: waitS must be 1..5");
      }
      const args = [
        "-n",
        "-c",
        String(count),
        "-i",
        (intervalMs / 1000).toFixed(3),
        "-W",
        String(waitS),
      ];
      if (o.ttl !== undefined) {
        if (!Number.isInteger(o.ttl) || o.ttl < 1 || o.ttl > 255) {
          throw new Error("ping: ttl must be 1..255");
        }
        args.push("-t", String(o.ttl));
      }
      if (o.ident !== undefined) {
        if (!Number.isInteger(o.ident) || o.ident < 0 || o.ident > 65535) {
          throw new Error("ping: ident must be 0..65535");
        }
        args.push("-e", String(o.ident));
      }
      if (o.size !== undefined) {
        if (!Number.isInteger(o.size) || o.size < 0 || o.size > 1000) {
          throw new Error("ping: size must be 0..1000");
        }
        args.push("-s", String(o.size));
      }
      args.push(dst);
      const limitMs = count * intervalMs + waitS * 1000 + 5000;
      const bin = o.noRawSockets ? await plainPingPath() : "ping";
      const r = await runInSource(bin, args, {
        noRawSockets: o.noRawSockets,
        signal: AbortSignal.timeout(limitMs),
      });
      // 0: all answered, 1: some missing (loss, time exceeded); anything else failed.
      if (r.code !== 0 && r.code !== 1) {
        throw new Error(
          `ping ${args.join(" ")} failed (${r.code}): ${r.stderr.trim()}`,
        );
      }
      return { ...parsePing(r.stdout), stdout: r.stdout };
    },
    destroy,
    [Symbol.asyncDispose]: destroy,
  };
}
