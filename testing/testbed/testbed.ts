/**
 * Link-emulation test bed: a throw-away network namespace joined to the root
 * namespace by a veth pair numbered from 198.18.0.0/15, and a user-space ICMP
 * echo responder (responder.c) that emulates loss, delay, jitter,
 * duplication, reordering and "destination unreachable" inside it, writing a
 * truth file of what it really did (kernel timestamps).
 *
 * Needs root (namespaces, veth, raw sockets), `ip` (iproute2) and `cc`.
 * Deno permissions: --allow-run --allow-read --allow-write.
 *
 * Network safety: the only addresses used are the two ends of the bed's own
 * /30 inside 198.18.0.0/15 (and loopback); the C programs refuse any other.
 *
 * @example
 * ```ts
 * await using bed = await createTestbed();
 * const responder = await bed.startResponder({ loss: 0.3, seed: 7, maxPackets: 200 });
 * // ... probe bed.targetAddress from this process ...
 * const truth = await responder.stop();
 * ```
 */

import { mustRun, runCommand } from "../run_command.ts";
import { compileIfStale, STRICT_CFLAGS } from "../../probe/native/build.ts";
import { nativeDir, wireHeader } from "../../probe/native/library_path.ts";

const HERE = new URL(".", import.meta.url);
const RESPONDER_SRC = pathOf(new URL("responder.c", HERE));
const RESPONDER_BIN = pathOf(new URL("responder", HERE));
const CLIENT_SRC = pathOf(new URL("echo_client.c", HERE));
const CLIENT_BIN = pathOf(new URL("echo_client", HERE));
/** The shim's strict flags; its directory holds the shared pla_wire.h. */
const CFLAGS = [...STRICT_CFLAGS, "-I", nativeDir];
/** What else a test-bed binary depends on: the shared header, this file (its flags). */
const C_DEPS = [wireHeader, pathOf(new URL(import.meta.url))];
/** Every bed's namespaces are named pla-tb-<pid>-...: the stale sweep finds them. */
export const NS_PREFIX = "pla-tb-";

function pathOf(url: URL): string {
  return decodeURIComponent(url.pathname);
}

/** What the responder did with one received echo request (one truth-file line). */
export interface TruthRecord {
  /** 0-based order of receipt at the responder. */
  k: number;
  seq: number;
  id: number;
  src: string;
  dst: string;
  /** ICMP message length of the request (8 + payload). */
  bytes: number;
  action: "reply" | "drop" | "unreach";
  /** Packets actually sent for this request (echo replies or one unreach). */
  replies: number;
  /** Kernel RX timestamp of the request, CLOCK_REALTIME ns. */
  rx_ns: bigint;
  /** "user" when the kernel gave no RX stamp and user time was used. */
  rx_ts: "kernel" | "user";
  /** Kernel TX software timestamp of each packet sent, CLOCK_REALTIME ns. */
  tx_ns: bigint[];
  /** tx_ns - rx_ns per packet sent, microseconds (ns resolution). THE truth. */
  held_us: number[];
  /** "user" when at least one TX stamp is a user-space fallback. */
  tx_ts: "kernel" | "user";
  /** Planned hold of the first packet (delay ± jitter, + reorder extra), µs. */
  planned_delay_us: number;
  /** 0 (drop), 1, or 2 (duplicated reply). */
  planned_replies: number;
  reordered: boolean;
  /** Planned packets never sent (shutdown or max-seconds came first). */
  unsent: number;
  send_errors: number;
}

export interface ResponderOptions {
  /** PRNG seed (splitmix64); default 0. Same seed + same request order = same fates. */
  seed?: number | bigint;
  /** Probability 0..1 to drop a request. */
  loss?: number;
  /** Base hold before replying, ms. */
  delayMs?: number;
  /** Uniform ± jitter added to the hold, ms (hold clamped >= 0). */
  jitterMs?: number;
  /** Probability 0..1 to send a second identical echo reply. */
  dup?: number;
  /** Gap between a reply and its duplicate, ms (default 1). */
  dupGapMs?: number;
  /** Probability 0..1 to hold a reply an extra `reorderMs`. */
  reorder?: number;
  /** Extra hold of a reordered reply, ms (default 20). */
  reorderMs?: number;
  /** Probability 0..1 to answer "destination unreachable (host)" instead. */
  unreach?: number;
  /** The responder exits after this many requests (default 10000, max 1e6). */
  maxPackets?: number;
  /** The responder exits after this many seconds (default 60, max 3600). */
  maxSeconds?: number;
  /**
   * Busy-wait this long before each due reply instead of sleeping (default
   * 1000, max 5000): an idle VM CPU sometimes wakes 0.2-2.5 ms late. Costs
   * up to that much CPU per reply; lower it for high reply rates.
   */
  spinUs?: number;
  /** Don't ask for SCHED_FIFO (default: asks, best effort). */
  noRealtime?: boolean;
  /** Summary line on the responder's stderr at exit. */
  verbose?: boolean;
}

export interface Responder {
  readonly pid: number;
  readonly truthPath: string;
  /** Resolves with the truth when the responder exits (by itself or after stop()). */
  readonly done: Promise<TruthRecord[]>;
  /** SIGTERM (it sends the replies still due, then writes the truth), wait, parse. */
  stop(): Promise<TruthRecord[]>;
}

export interface TestbedOptions {
  /** Leave the kernel's own echo replies on (no responder needed). */
  kernelEcho?: boolean;
  /**
   * Warm the target's send path with 3 kernel-answered pings before turning
   * kernel echo off (default true). Without it the first reply of a fresh
   * namespace is typically 0.2-1.5 ms late (cold route/driver path).
   */
  warmUp?: boolean;
}

export interface Testbed {
  /** Address of the host end (root namespace): the prober's source. */
  readonly hostAddress: string;
  /** Address of the target end inside the namespace: probe this. */
  readonly targetAddress: string;
  /** e.g. "198.18.37.4/30" */
  readonly subnet: string;
  readonly nsName: string;
  /** veth end in the root namespace. */
  readonly hostIf: string;
  /** veth end in the target namespace. */
  readonly targetIf: string;
  readonly kernelEcho: boolean;
  startResponder(opts?: ResponderOptions): Promise<Responder>;
  /** Kill responders, delete the namespace (and so the veth pair). Idempotent. */
  destroy(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

// ---------------------------------------------------------------- commands

/** `bytes` random bytes as hex (namespace and interface name tags). */
export function randomHex(bytes: number): string {
  const b = crypto.getRandomValues(new Uint8Array(bytes));
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

// ------------------------------------------------------------ availability

let unavailable: Promise<string | null> | undefined;

/** null when the bed can be used here; otherwise why not (for test skips). */
export function testbedUnavailableReason(): Promise<string | null> {
  unavailable ??= checkAvailability();
  return unavailable;
}

async function checkAvailability(): Promise<string | null> {
  return await bedUnavailableReason(
    [["ip", ["-V"]], ["cc", ["--version"]]],
    // The real test: a namespace with a veth pair inside it.
    async (ns) => {
      const veth = await runCommand("ip", [
        "-n",
        ns,
        "link",
        "add",
        "pla-chk-a",
        "type",
        "veth",
        "peer",
        "name",
        "pla-chk-b",
      ]);
      if (veth.code !== 0) return `cannot create veth: ${veth.stderr.trim()}`;
      return null;
    },
  );
}

/** A command a bed needs: its name, the arguments that print its version, and the Debian package that brings it (for the message). */
export type BedTool = [cmd: string, args: string[], pkg?: string];

/**
 * Why a namespace bed cannot be built here, or null: Linux, Deno's run, read
 * and write permissions, root, each tool, and then `inNamespace` run on a
 * throw-away namespace (named like the beds', deleted after) to check what the
 * bed itself needs there (null, or why not).
 */
export async function bedUnavailableReason(
  tools: BedTool[],
  inNamespace: (ns: string) => Promise<string | null>,
): Promise<string | null> {
  if (Deno.build.os !== "linux") {
    return `needs Linux (this is ${Deno.build.os})`;
  }
  for (const name of ["run", "read", "write"] as const) {
    const st = await Deno.permissions.query({ name });
    if (st.state !== "granted") return `needs --allow-${name}`;
  }
  // Deno guards /proc/self behind --allow-all, so ask `id` instead.
  try {
    const uid = (await runCommand("id", ["-u"])).stdout.trim();
    if (uid !== "0") return `needs root (effective uid ${uid || "unknown"})`;
  } catch (e) {
    return `cannot run 'id -u': ${(e as Error).message}`;
  }
  for (const [cmd, args, pkg] of tools) {
    try {
      const r = await runCommand(cmd, args);
      if (r.code !== 0) return `'${cmd}' does not work: ${r.stderr.trim()}`;
    } catch (e) {
      return pkg
        ? `'${cmd}' not found (install ${pkg})`
        : `'${cmd}' not found: ${(e as Error).message}`;
    }
  }
  const ns = `${NS_PREFIX}${Deno.pid}-chk${randomHex(3)}`;
  try {
    const add = await runCommand("ip", ["netns", "add", ns]);
    if (add.code !== 0) return `'ip netns add' failed: ${add.stderr.trim()}`;
    return await inNamespace(ns);
  } finally {
    await runCommand("ip", ["netns", "del", ns]).catch(() => {});
  }
}

// ------------------------------------------------------------------ builds

/** Compiles `src` into `bin` when stale (compileIfStale); returns `bin`. */
async function build(src: string, bin: string): Promise<string> {
  await compileIfStale(bin, [src, ...C_DEPS], CFLAGS);
  return bin;
}

/** Compiles responder.c when the binary is missing or older; returns its path. */
export function buildResponder(): Promise<string> {
  return build(RESPONDER_SRC, RESPONDER_BIN);
}

/** Compiles the test-only echo_client.c when needed; returns its path. */
export function buildEchoClient(): Promise<string> {
  return build(CLIENT_SRC, CLIENT_BIN);
}

// ------------------------------------------------------------- addressing

export function ipToInt(ip: string): number {
  const p = ip.split(".").map(Number);
  if (
    p.length !== 4 || p.some((x) => !Number.isInteger(x) || x < 0 || x > 255)
  ) {
    throw new Error(`bad IPv4 address ${ip}`);
  }
  return ((p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]) >>> 0;
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

const BENCH_BASE = ipToInt("198.18.0.0"); // 198.18.0.0/15 (RFC 2544 benchmarking)
const BENCH_SIZE = 1 << 17;

/** True for the only addresses the bed may send to: 198.18.0.0/15 and 127.0.0.0/8. */
export function isTestbedAddress(ip: string): boolean {
  let n: number;
  try {
    n = ipToInt(ip);
  } catch {
    return false;
  }
  return (n >>> 17) === (BENCH_BASE >>> 17) || (n >>> 24) === 127;
}

export interface Range {
  start: number;
  end: number; // inclusive
  ifname: string;
}

function rangeOf(addr: string, prefix: number): { start: number; end: number } {
  const n = ipToInt(addr);
  const size = prefix >= 32 ? 1 : 2 ** (32 - prefix);
  const start = Math.floor(n / size) * size;
  return { start, end: start + size - 1 };
}

/** Every IPv4 address range and route in the root namespace. */
export async function usedRanges(): Promise<Range[]> {
  const ranges: Range[] = [];
  const addrs = JSON.parse(
    await mustRun("ip", ["-4", "-j", "addr", "show"]),
  ) as {
    ifname: string;
    addr_info?: { local: string; prefixlen: number }[];
  }[];
  for (const link of addrs) {
    for (const a of link.addr_info ?? []) {
      ranges.push({ ...rangeOf(a.local, a.prefixlen), ifname: link.ifname });
    }
  }
  const routes = JSON.parse(
    await mustRun("ip", ["-4", "-j", "route", "show", "table", "all"]),
  ) as {
    dst: string;
    dev?: string;
  }[];
  for (const r of routes) {
    if (!r.dst || r.dst === "default") continue;
    const [addr, len] = r.dst.split("/");
    try {
      ranges.push({
        ...rangeOf(addr, len ? Number(len) : 32),
        ifname: r.dev ?? "",
      });
    } catch {
      // not an IPv4 prefix we can read: ignore
    }
  }
  return ranges;
}

export function overlaps(
  a: { start: number; end: number },
  b: { start: number; end: number },
) {
  return a.start <= b.end && b.start <= a.end;
}

async function pickSubnet(): Promise<number> {
  const used = await usedRanges();
  for (let i = 0; i < 1000; i++) {
    const block = 1 + Math.floor(Math.random() * (BENCH_SIZE / 4 - 2));
    const start = BENCH_BASE + block * 4;
    if (!used.some((u) => overlaps(u, { start, end: start + 3 }))) return start;
  }
  throw new Error("no free /30 in 198.18.0.0/15");
}

// ------------------------------------------------------ stale-bed cleanup

const live = new Map<
  string,
  { hostIf: string; children: Set<Deno.ChildProcess> }
>();
let unloadHooked = false;

function hookUnload() {
  if (unloadHooked) return;
  unloadHooked = true;
  // Last resort when a test forgets destroy(): synchronous cleanup at exit.
  globalThis.addEventListener("unload", () => {
    for (const [ns, info] of live) {
      for (const c of info.children) {
        try {
          c.kill("SIGKILL");
        } catch {
          // already gone
        }
      }
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

/** Deletes pla-tb-<pid>-* namespaces whose creating process is gone. */
export async function removeStaleNamespaces(): Promise<void> {
  const r = await runCommand("ip", ["netns", "list"]);
  if (r.code !== 0) return;
  for (const line of r.stdout.split("\n")) {
    const name = line.split(/\s/)[0];
    const m = name?.match(/^pla-tb-(\d+)-[0-9a-z]+$/);
    if (!m || Number(m[1]) === Deno.pid) continue;
    // Deno guards /proc behind --allow-all: ask test(1). Only a definite
    // "no such directory" (exit 1) counts as dead; any doubt keeps it.
    const alive = await runCommand("test", ["-d", `/proc/${m[1]}`]).catch(() =>
      null
    );
    if (alive?.code === 1) await runCommand("ip", ["netns", "del", name]);
  }
}

// ---------------------------------------------------------------- testbed

/**
 * Creates one target namespace joined to the root namespace by a veth pair on
 * a random free /30 of 198.18.0.0/15 (host end .1, target end .2), with
 * permanent neighbour entries (no ARP) and IPv6 off on the pair. Kernel echo
 * replies are turned off in the target unless `kernelEcho` is set.
 */
export async function createTestbed(
  opts: TestbedOptions = {},
): Promise<Testbed> {
  const reason = await testbedUnavailableReason();
  if (reason) throw new Error(`test bed unavailable: ${reason}`);
  const responderBin = await buildResponder();
  const clientBin = opts.warmUp === false ? null : await buildEchoClient();
  hookUnload();
  await removeStaleNamespaces();

  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const tag = randomHex(4);
    const nsName = `${NS_PREFIX}${Deno.pid}-${tag}`;
    const hostIf = `plh${tag}`; // 11 chars (limit 15)
    const targetIf = `plt${tag}`;
    const add = await runCommand("ip", ["netns", "add", nsName]);
    if (add.code !== 0) {
      lastError = new Error(`ip netns add ${nsName}: ${add.stderr.trim()}`);
      continue;
    }
    const info = { hostIf, children: new Set<Deno.ChildProcess>() };
    live.set(nsName, info);
    const teardown = async () => {
      live.delete(nsName);
      await runCommand("ip", ["netns", "del", nsName]).catch(() => {});
      // Deleting the namespace deletes the pair; this only matters if the
      // target end never made it into the namespace.
      const gone = await runCommand("ip", ["link", "show", "dev", hostIf])
        .catch(() => null);
      if (gone?.code === 0) {
        await runCommand("ip", ["link", "del", hostIf]).catch(() => {});
      }
    };
    try {
      const start = await pickSubnet();
      const hostAddress = intToIp(start + 1);
      const targetAddress = intToIp(start + 2);
      const subnet = `${intToIp(start)}/30`;
      const ns = ["-n", nsName];
      await mustRun("ip", [
        "link",
        "add",
        hostIf,
        "type",
        "veth",
        "peer",
        "name",
        targetIf,
        "netns",
        nsName,
      ]);
      // IPv6 off on both ends: no router solicitations / DAD on the link.
      await runCommand("sysctl", [
        "-qw",
        `net.ipv6.conf.${hostIf}.disable_ipv6=1`,
      ]);
      await runCommand("ip", [
        "netns",
        "exec",
        nsName,
        "sysctl",
        "-qw",
        `net.ipv6.conf.${targetIf}.disable_ipv6=1`,
      ]);
      await mustRun("ip", ["addr", "add", `${hostAddress}/30`, "dev", hostIf]);
      await mustRun("ip", [
        ...ns,
        "addr",
        "add",
        `${targetAddress}/30`,
        "dev",
        targetIf,
      ]);
      await mustRun("ip", [...ns, "link", "set", "lo", "up"]);
      await mustRun("ip", [...ns, "link", "set", targetIf, "up"]);
      await mustRun("ip", ["link", "set", hostIf, "up"]);
      const hostMac = await macOf([], hostIf);
      const targetMac = await macOf(ns, targetIf);
      await mustRun("ip", [
        "neigh",
        "replace",
        targetAddress,
        "lladdr",
        targetMac,
        "dev",
        hostIf,
        "nud",
        "permanent",
      ]);
      await mustRun("ip", [
        ...ns,
        "neigh",
        "replace",
        hostAddress,
        "lladdr",
        hostMac,
        "dev",
        targetIf,
        "nud",
        "permanent",
      ]);

      // A parallel creator may have raced us to the same /30: re-check.
      const clash = (await usedRanges()).some((u) =>
        u.ifname !== hostIf && overlaps(u, { start, end: start + 3 })
      );
      if (clash) throw new Error(`subnet ${subnet} taken concurrently`);

      if (clientBin) {
        // Kernel echo is on in a fresh namespace: warm the reply path.
        const warm = await runEchoClient(targetAddress, {
          count: 3,
          intervalMs: 1,
          waitMs: 50,
          id: Math.floor(Math.random() * 65536),
        });
        if (warm.replies.length !== 3) {
          throw new Error(
            `warm-up pings: ${warm.replies.length}/3 replies, link not working`,
          );
        }
      }
      if (!opts.kernelEcho) {
        await mustRun("ip", [
          "netns",
          "exec",
          nsName,
          "sysctl",
          "-qw",
          "net.ipv4.icmp_echo_ignore_all=1",
        ]);
      }
      return makeTestbed({
        nsName,
        hostIf,
        targetIf,
        hostAddress,
        targetAddress,
        subnet,
        kernelEcho: !!opts.kernelEcho,
        responderBin,
        children: info.children,
        teardown,
      });
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

async function macOf(nsArgs: string[], ifname: string): Promise<string> {
  const j = JSON.parse(
    await mustRun("ip", [...nsArgs, "-j", "link", "show", "dev", ifname]),
  ) as { address?: string }[];
  const mac = j[0]?.address;
  if (!mac) throw new Error(`no MAC address for ${ifname}`);
  return mac;
}

interface BedParts {
  nsName: string;
  hostIf: string;
  targetIf: string;
  hostAddress: string;
  targetAddress: string;
  subnet: string;
  kernelEcho: boolean;
  responderBin: string;
  children: Set<Deno.ChildProcess>;
  teardown: () => Promise<void>;
}

function makeTestbed(p: BedParts): Testbed {
  const responders = new Set<Responder>();
  let destroyed: Promise<void> | undefined;
  const destroy = () => {
    destroyed ??= (async () => {
      await Promise.allSettled([...responders].map((r) => r.stop()));
      await p.teardown();
    })();
    return destroyed;
  };
  return {
    hostAddress: p.hostAddress,
    targetAddress: p.targetAddress,
    subnet: p.subnet,
    nsName: p.nsName,
    hostIf: p.hostIf,
    targetIf: p.targetIf,
    kernelEcho: p.kernelEcho,
    async startResponder(opts: ResponderOptions = {}) {
      if (destroyed) throw new Error("test bed already destroyed");
      const r = await startResponder(p, opts);
      responders.add(r);
      return r;
    },
    destroy,
    [Symbol.asyncDispose]: destroy,
  };
}

function responderArgs(o: ResponderOptions, truthPath: string): string[] {
  const args: string[] = [];
  const num = (flag: string, v: number | undefined) => {
    if (v === undefined) return;
    if (!Number.isFinite(v)) throw new Error(`${flag} must be finite`);
    args.push(flag, String(v));
  };
  if (o.seed !== undefined) args.push("--seed", BigInt(o.seed).toString());
  num("--loss", o.loss);
  num("--delay-ms", o.delayMs);
  num("--jitter-ms", o.jitterMs);
  num("--dup", o.dup);
  num("--dup-gap-ms", o.dupGapMs);
  num("--reorder", o.reorder);
  num("--reorder-ms", o.reorderMs);
  num("--unreach", o.unreach);
  num("--max-packets", o.maxPackets ?? 10000);
  num("--max-seconds", o.maxSeconds ?? 60);
  if (o.verbose) args.push("--verbose");
  args.push("--truth", truthPath);
  return args;
}

async function startResponder(
  p: BedParts,
  opts: ResponderOptions,
): Promise<Responder> {
  const truthPath = await Deno.makeTempFile({
    prefix: "pla-truth-",
    suffix: ".ndjson",
  });
  const args = [
    "netns",
    "exec",
    p.nsName,
    p.responderBin,
    ...responderArgs(opts, truthPath),
  ];
  const child = new Deno.Command("ip", {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  p.children.add(child);

  let stderr = "";
  const stderrDone = child.stderr.pipeThrough(new TextDecoderStream()).pipeTo(
    new WritableStream({
      write(chunk) {
        if (stderr.length < 65536) stderr += chunk;
      },
    }),
  );
  // stdout: wait for "ready", then keep draining until EOF.
  let resolveReady!: (ok: boolean) => void;
  const ready = new Promise<boolean>((res) => (resolveReady = res));
  let out = "";
  const stdoutDone = child.stdout.pipeThrough(new TextDecoderStream()).pipeTo(
    new WritableStream({
      write(chunk) {
        out += chunk;
        if (out.split("\n").some((l) => l.trim() === "ready")) {
          resolveReady(true);
        }
      },
      close() {
        resolveReady(false);
      },
      abort() {
        resolveReady(false);
      },
    }),
  );

  let exited = false;
  const done: Promise<TruthRecord[]> = (async () => {
    const [status] = await Promise.all([
      child.status,
      stdoutDone.catch(() => {}),
      stderrDone.catch(() => {}),
    ]);
    exited = true;
    p.children.delete(child);
    if (!status.success) {
      throw new Error(
        `responder exited with ${
          status.signal ? `signal ${status.signal}` : `code ${status.code}`
        }: ${stderr.trim()}`,
      );
    }
    const text = await Deno.readTextFile(truthPath);
    const records = parseTruth(text);
    await Deno.remove(truthPath).catch(() => {});
    return records;
  })();
  done.catch(() => {}); // the caller may never look; stop()/done re-throw

  const timeout = (ms: number) => {
    let id: ReturnType<typeof setTimeout> | undefined;
    const pr = new Promise<"timeout">((
      res,
    ) => (id = setTimeout(() => res("timeout"), ms)));
    return { pr, cancel: () => clearTimeout(id) };
  };

  const t = timeout(10_000);
  const ok = await Promise.race([ready, t.pr]);
  t.cancel();
  if (ok !== true) {
    if (!exited) {
      try {
        child.kill("SIGKILL");
      } catch {
        // gone
      }
    }
    const err = await done.then(() => null, (e: Error) => e);
    await Deno.remove(truthPath).catch(() => {});
    throw new Error(
      `responder did not become ready: ${err?.message ?? stderr.trim()}`,
    );
  }

  const maxHoldMs = (opts.delayMs ?? 0) + (opts.jitterMs ?? 0) +
    (opts.reorderMs ?? 20) + (opts.dupGapMs ?? 1);
  return {
    pid: child.pid,
    truthPath,
    done,
    async stop() {
      if (!exited) {
        try {
          child.kill("SIGTERM");
        } catch {
          // already exited
        }
        const w = timeout(maxHoldMs + 5_000);
        const r = await Promise.race([
          done.then(() => "done" as const, () => "done" as const),
          w.pr,
        ]);
        w.cancel();
        if (r === "timeout" && !exited) {
          try {
            child.kill("SIGKILL");
          } catch {
            // gone
          }
        }
      }
      return done;
    },
  };
}

/** Parses a truth file; 64-bit ns timestamps become bigint (no precision loss). */
export function parseTruth(text: string): TruthRecord[] {
  const records: TruthRecord[] = [];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    const quoted = line
      .replace(/"rx_ns":(-?\d+)/, '"rx_ns":"$1"')
      .replace(
        /"tx_ns":\[([^\]]*)\]/,
        (_m, list: string) =>
          `"tx_ns":[${
            list.split(",").filter((s) => s.trim()).map((s) => `"${s.trim()}"`)
              .join(",")
          }]`,
      );
    const r = JSON.parse(quoted);
    r.rx_ns = BigInt(r.rx_ns);
    r.tx_ns = (r.tx_ns as string[]).map((s) => BigInt(s));
    records.push(r as TruthRecord);
  }
  return records;
}

// ------------------------------------------------------------ echo client

export interface EchoClientOptions {
  count: number;
  intervalMs: number;
  /** How long to keep listening after the last send, ms. */
  waitMs: number;
  /** ICMP identifier 0..65535. */
  id: number;
  /** Payload bytes (default 56). */
  size?: number;
  seqStart?: number;
  /** Send this sequence number with a deliberately wrong checksum. */
  corruptSeq?: number;
}

export interface EchoClientSent {
  seq: number;
  tx_ns: bigint;
  tx_ts: "kernel" | "user";
  corrupt: boolean;
}
export interface EchoClientReply {
  seq: number;
  id: number;
  from: string;
  rx_ns: bigint;
  /** Kernel RX stamp of the reply - kernel TX stamp of the request. */
  rtt_ns: number;
  ttl: number;
  bytes: number;
  cksum_ok: boolean;
  payload_ok: boolean;
}
export interface EchoClientIcmp {
  type: number;
  code: number;
  from: string;
  seq: number;
  id: number;
  rx_ns: bigint;
  cksum_ok: boolean;
}
export interface EchoClientResult {
  sent: EchoClientSent[];
  /** In arrival order, duplicates included. */
  replies: EchoClientReply[];
  icmp: EchoClientIcmp[];
  summary: {
    sent: number;
    replies: number;
    icmp_errors: number;
    tx_user: number;
  };
}

/**
 * TEST-ONLY: runs echo_client (raw socket, kernel timestamps) from the root
 * namespace. Only 198.18.0.0/15 and 127.0.0.0/8 destinations are allowed.
 */
export async function runEchoClient(
  dst: string,
  o: EchoClientOptions,
): Promise<EchoClientResult> {
  if (!isTestbedAddress(dst)) {
    throw new Error(`refusing to probe ${dst}: not a test-bed address`);
  }
  const bin = await buildEchoClient();
  const args = [
    "--dst",
    dst,
    "--count",
    String(o.count),
    "--interval-ms",
    String(o.intervalMs),
    "--wait-ms",
    String(o.waitMs),
    "--id",
    String(o.id),
  ];
  if (o.size !== undefined) args.push("--size", String(o.size));
  if (o.seqStart !== undefined) args.push("--seq-start", String(o.seqStart));
  if (o.corruptSeq !== undefined) {
    args.push("--corrupt-seq", String(o.corruptSeq));
  }
  const r = await runCommand(bin, args);
  if (r.code !== 0) {
    throw new Error(`echo_client failed (${r.code}): ${r.stderr.trim()}`);
  }
  const res: EchoClientResult = {
    sent: [],
    replies: [],
    icmp: [],
    summary: { sent: 0, replies: 0, icmp_errors: 0, tx_user: 0 },
  };
  for (const line of r.stdout.split("\n")) {
    if (!line.trim()) continue;
    const e = JSON.parse(line.replace(/"(rx_ns|tx_ns)":(-?\d+)/, '"$1":"$2"'));
    if (e.rx_ns !== undefined) e.rx_ns = BigInt(e.rx_ns);
    if (e.tx_ns !== undefined) e.tx_ns = BigInt(e.tx_ns);
    const { ev, ...rest } = e;
    if (ev === "sent") res.sent.push(rest);
    else if (ev === "reply") res.replies.push(rest);
    else if (ev === "icmp") res.icmp.push(rest);
    else if (ev === "done") res.summary = rest;
  }
  return res;
}
