// Builds the shim together with shim_selftest.c under AddressSanitizer and
// UBSan and runs it: decoder fuzz loop, bad arguments, loopback echo round
// trip, one ICMP checksum for every echo request of a context (Paris flow:
// built, and caught on loopback by a raw socket); and under ThreadSanitizer,
// pla_wait on one thread while another follows the rules of "Threads" in
// pla_icmp.h. Any sanitizer report or failed check fails the test.
import assert from "node:assert/strict";
import { compileIfStale } from "./build.ts";
import {
  nativeDir,
  shimHeader,
  shimSource,
  wireHeader,
} from "./library_path.ts";
import { gate } from "../../testing/gate.ts";

const SELFTEST = decodeURIComponent(
  new URL("shim_selftest.c", import.meta.url).pathname,
);
/** The sanitized binary, kept between runs and rebuilt when any input is newer. */
const SELFTEST_BIN = decodeURIComponent(
  new URL("shim_selftest", import.meta.url).pathname,
);
/** The same under ThreadSanitizer. */
const SELFTEST_TSAN_BIN = `${SELFTEST_BIN}_tsan`;
/** This file: it holds the flags. */
const THIS_FILE = decodeURIComponent(new URL(import.meta.url).pathname);
const COMMON_FLAGS = [
  "-fno-omit-frame-pointer",
  "-g",
  "-O1",
  "-Wall",
  "-Wextra",
  "-Werror",
  "-std=gnu11",
  "-pthread",
];
const FLAGS = [
  "-fsanitize=address,undefined",
  "-fno-sanitize-recover=all",
  ...COMMON_FLAGS,
];
const TSAN_FLAGS = ["-fsanitize=thread", ...COMMON_FLAGS];
const SAN_ENV = {
  ASAN_OPTIONS: "halt_on_error=1:detect_leaks=1:abort_on_error=0",
  UBSAN_OPTIONS: "halt_on_error=1:print_stacktrace=1",
};

async function cc(args: string[]): Promise<Deno.CommandOutput> {
  return await new Deno.Command("cc", {
    args,
    stdout: "piped",
    stderr: "piped",
  })
    .output();
}

/** null when cc can build and link programs with `flags` here; otherwise why not. */
async function sanitizerUnavailable(
  flags: string[],
  runtime: string,
): Promise<string | null> {
  if (Deno.build.os !== "linux") {
    return `needs Linux (this is ${Deno.build.os})`;
  }
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/t.c`, "int main(void) { return 0; }\n");
    const out = await cc([...flags, "-o", `${dir}/t`, `${dir}/t.c`]);
    if (!out.success) {
      return `cc cannot link with ${flags[0]} (install gcc's ${runtime}): ${
        new TextDecoder().decode(out.stderr).trim().split("\n")[0]
      }`;
    }
    return null;
  } catch (e) {
    return `cannot run cc: ${(e as Error).message}`;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const reason = await sanitizerUnavailable(FLAGS, "libasan/libubsan");
const noSanitizer = gate("ASan shim self-test", reason);

/** Runs the self-test (through `wrap`, e.g. into a network namespace); fails on any sanitizer report. */
async function selftest(
  bin: string,
  wrap: string[] = [],
  extra: string[] = [],
): Promise<string> {
  const seed = Date.now() % 2 ** 31;
  const run = async (asan: string) => {
    const [exe, ...args] = [...wrap, bin, String(seed), ...extra];
    const out = await new Deno.Command(exe, {
      args,
      env: { ...SAN_ENV, ASAN_OPTIONS: asan },
      stdout: "piped",
      stderr: "piped",
    }).output();
    return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
  };
  let r = await run(SAN_ENV.ASAN_OPTIONS);
  // LeakSanitizer cannot run under ptrace (debuggers, some sandboxes): it
  // says so and stops. Keep every other check rather than give up.
  if (
    /LeakSanitizer has encountered a fatal error|does not work under ptrace/
      .test(r.stderr)
  ) {
    console.log(
      "LeakSanitizer unavailable here (ptrace); rerunning with detect_leaks=0",
    );
    r = await run(
      SAN_ENV.ASAN_OPTIONS.replace("detect_leaks=1", "detect_leaks=0"),
    );
  }
  const report = /(Address|Undefined|Leak)Sanitizer|runtime error:/.test(
    r.stderr,
  );
  assert.ok(
    r.code === 0 && !report,
    `shim self-test failed (exit ${r.code}, seed ${seed}):\n${r.stderr}`,
  );
  assert.match(r.stderr, /selftest: ok/);
  return r.stderr;
}

/** Compiles the self-test with the shim when stale; returns the binary. */
async function build(
  bin = SELFTEST_BIN,
  flags: string[] = FLAGS,
): Promise<string> {
  await compileIfStale(
    bin,
    [SELFTEST, shimSource, shimHeader, wireHeader, THIS_FILE],
    [...flags, "-I", nativeDir],
  );
  return bin;
}

Deno.test({
  name:
    "shim under AddressSanitizer/UBSan: decoder fuzz, bad arguments, loopback round trip, one checksum per flow",
  ignore: noSanitizer,
  async fn() {
    const stderr = await selftest(await build());
    // Where ICMP sockets open, the round trip really ran.
    assert.match(
      stderr,
      /IPv4 (raw|ping) socket: 20\/20|IPv4 socket unavailable/,
    );
    assert.match(stderr, /flow builder: 18000 requests, one checksum/);
    // With CAP_NET_RAW the requests were caught on loopback: one checksum.
    assert.match(
      stderr,
      /IPv4 flow \((raw|ping) socket\): 32\/32 requests, 0 off checksum 0xc00c|IPv4 flow capture skipped|IPv4 socket unavailable/,
    );
  },
});

/** Ping sockets are allowed per network namespace: a private one lets root use them too. */
async function netnsUnavailable(): Promise<string | null> {
  try {
    const out = await new Deno.Command("unshare", {
      args: ["-n", "true"],
      stderr: "null",
    }).output();
    return out.success ? null : "unshare -n (network namespaces) not permitted";
  } catch (e) {
    return `cannot run unshare: ${(e as Error).message}`;
  }
}
// Without sanitizers the suite above already reports why.
const noNetns = noSanitizer ||
  gate("ASan ping-socket self-test", await netnsUnavailable());

/**
 * Inside a fresh network namespace (nothing leaves it): ping sockets allowed,
 * and a one-hop "router" (a veth pair with forwarding) in front of
 * 198.19.253.0/24, so a TTL-1 probe to ROUTED_TARGET gets ICMP time exceeded.
 */
const ROUTED_TARGET = "198.19.253.9";
const PRIVATE_NET = [
  "ip link set lo up",
  'sysctl -qw net.ipv4.ping_group_range="0 2147483647"',
  "ip link add va type veth peer name vb",
  "ip addr add 198.19.254.1/30 dev va",
  "ip link set va up",
  "ip link set vb up",
  "sysctl -qw net.ipv4.conf.all.forwarding=1 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.va.rp_filter=0 net.ipv4.conf.vb.rp_filter=0 net.ipv4.conf.vb.accept_local=1",
  `ip neigh replace 198.19.254.2 lladdr "$(ip -br link show vb | awk '{print $3}')" dev va nud permanent`,
  "ip route add 198.19.253.0/24 via 198.19.254.2 dev va",
  'exec "$@"',
].join(" && ");

Deno.test({
  name:
    "shim under AddressSanitizer/UBSan with ping sockets and ICMP errors (private network namespace)",
  ignore: noNetns,
  async fn() {
    const stderr = await selftest(
      await build(),
      ["unshare", "-n", "sh", "-c", PRIVATE_NET, "sh"],
      [ROUTED_TARGET],
    );
    assert.match(stderr, /IPv4 ping socket: 20\/20/);
    assert.match(stderr, /IPv6 ping socket: 20\/20/);
    // The kernel computes a ping socket's checksums: the flow word holds them too.
    assert.match(
      stderr,
      /IPv4 flow \(ping socket\): 32\/32 requests, 0 off checksum 0xc00c/,
    );
    assert.match(stderr, /IPv6 flow \(ping socket\): 32\/32 requests, 0 off/);
    assert.match(stderr, /ICMP errors: \d+ events read with an error pending/);
  },
});

const noTsan = gate(
  "TSan shim self-test",
  await sanitizerUnavailable(TSAN_FLAGS, "libtsan"),
);

Deno.test({
  name:
    "shim under ThreadSanitizer: pla_wait on one thread while another opens, sends, receives and wakes",
  ignore: noTsan,
  async fn() {
    const bin = await build(SELFTEST_TSAN_BIN, TSAN_FLAGS);
    const out = await new Deno.Command(bin, {
      args: ["threads"],
      env: { TSAN_OPTIONS: "halt_on_error=1:exitcode=66" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.ok(
      out.code === 0 && !/ThreadSanitizer/.test(stderr),
      `threads self-test failed (exit ${out.code}):\n${stderr}`,
    );
    assert.match(stderr, /selftest: threads: \d+ waits beside 200 wakes/);
    assert.match(stderr, /selftest: ok/);
  },
});
