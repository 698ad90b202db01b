// The CLI as a user runs it: a subprocess, real ICMP to loopback.
import assert from "node:assert/strict";
import { testbedUnavailableReason } from "../testing/testbed/testbed.ts";
import { gate } from "../testing/gate.ts";
import { runCommand } from "../testing/run_command.ts";
import { taskPermissions } from "../testing/deno_flags.ts";
import { hopRecord, pathSummary } from "../model/path.ts";

const cli = new URL("cli.ts", import.meta.url).pathname;

/** The CLI as `deno task probe` runs it (its permissions), optionally wrapped. */
function probe(args: string[], wrap: string[] = []) {
  const argv = [
    ...wrap,
    Deno.execPath(),
    "run",
    ...taskPermissions("probe"),
    cli,
    ...args,
  ];
  return runCommand(argv[0], argv.slice(1));
}

Deno.test("--output json prints NDJSON with the seed fields and a summary", async () => {
  const r = await probe([
    "--host",
    "127.0.0.1",
    "--count",
    "5",
    "--interval",
    "300ms",
    "--output",
    "json",
    "--per-probe",
  ]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
  const probes = lines.filter((l) => l.type === "probe");
  const intervals = lines.filter((l) => l.type === "interval");
  const summaries = lines.filter((l) => l.type === "summary");
  assert.equal(probes.length, 5);
  for (const p of probes) {
    for (
      const k of [
        "timestamp",
        "target",
        "address",
        "seq",
        "rtt_ms",
        "status",
        "ttl",
      ]
    ) assert.ok(k in p, k);
    assert.equal(p.status, "ok");
  }
  assert.ok(intervals.length >= 1, "an interval report each second");
  for (const line of [...intervals, ...summaries]) {
    for (
      const k of [
        "timestamp",
        "target",
        "sent",
        "received",
        "loss_pct",
        "avg_rtt_ms",
        "jitter_ms",
      ]
    ) {
      assert.ok(k in line, k);
    }
    assert.ok(!Number.isNaN(Date.parse(line.timestamp)));
  }
  assert.equal(summaries.length, 1);
  assert.equal(summaries[0].sent, 5);
  assert.equal(summaries[0].received, 5);
  assert.equal(summaries[0].loss_pct, 0);
  // Cumulative: later interval reports never count fewer probes.
  for (let i = 1; i < intervals.length; i++) {
    assert.ok(intervals[i].sent >= intervals[i - 1].sent);
  }
});

Deno.test("`deno task probe --output json`: stdout is NDJSON only, build messages included", async () => {
  // The task builds the shim and the page first; what they print must not
  // end up among the JSON lines a user pipes into another tool.
  const out = await runCommand(Deno.execPath(), [
    "task",
    "probe",
    "--host",
    "127.0.0.1",
    "--count",
    "1",
    "--output",
    "json",
  ], { cwd: new URL("..", import.meta.url).pathname });
  assert.equal(out.code, 0, out.stderr);
  const lines = out.stdout.trim().split("\n");
  for (const line of lines) {
    assert.doesNotThrow(() => JSON.parse(line), `not JSON: ${line}`);
  }
  assert.equal(JSON.parse(lines.at(-1)!).type, "summary");
});

Deno.test("text output: ping-like lines and a final table", async () => {
  const r = await probe([
    "--host",
    "::1",
    "--count",
    "3",
    "--interval",
    "20ms",
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(
    r.stdout.match(/bytes from ::1: icmp_seq=\d+ ttl=\d+ time=[0-9.]+ ms/g)
      ?.length,
    3,
  );
  assert.match(r.stdout, /::1\s+::1\s+3\s+3\s+0\.00/);
});

Deno.test("the CLI ends once every probe has its outcome, not a timeout later", async () => {
  const t0 = performance.now();
  const r = await probe([
    "--host",
    "127.0.0.1",
    "--count",
    "3",
    "--interval",
    "10ms",
    "--timeout",
    "2s",
  ]);
  const wallMs = performance.now() - t0;
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /127\.0\.0\.1\s+127\.0\.0\.1\s+3\s+3\s+0\.00/);
  // Start-up, ~25 ms of probing and the 10 ms linger: far below the 2 s
  // timeout that the run used to wait out after the last reply.
  assert.ok(wallMs < 1500, `exited after ${wallMs.toFixed(0)} ms`);
});

Deno.test("bad input: one clear line on stderr and exit 2", async () => {
  const cases: [string[], RegExp][] = [
    [["--host", "127.0.0.1", "--bogus"], /Unknown option '--bogus'/],
    [
      ["--host", "127.0.0.1", "--interval", "0.5ms"],
      /--interval: interval must be at least 1 ms/,
    ],
    [
      ["--host", "127.0.0.1", "--duration", "soon"],
      /--duration: 'soon' is not a duration/,
    ],
    [
      ["--host", "127.0.0.1", "--count", "0"],
      /--count: count must be at least 1/,
    ],
    [["--host", "127.0.0.1", "--count", "-3"], /--count/],
    [
      ["--host", "127.0.0.1", "--size", "8"],
      /--size: size must be at least 18/,
    ],
    [
      ["--host", "127.0.0.1", "--ttl", "0"],
      /--ttl: ttl must be from 1 to 255/,
    ],
    [
      ["--host", "127.0.0.1", "--output", "xml"],
      /--output: 'xml' is not one of text, json/,
    ],
    [
      ["--host", "127.0.0.1", "--linger", "soon"],
      /--linger: 'soon' is not a duration/,
    ],
    [
      ["--host", "127.0.0.1", "--linger", "2m"],
      /--linger: must be at most 60s/,
    ],
    [
      ["--host", "no-such-host.invalid"],
      /cannot resolve host 'no-such-host.invalid'/,
    ],
    [[], /no target/],
    [
      ["--path", "--host", "127.0.0.1", "--max-hops", "65"],
      /--max-hops: max hops must be at most 64/,
    ],
    [["--host", "127.0.0.1", "--max-hops", "3"], /--max-hops needs --path/],
    [
      ["--path", "--host", "127.0.0.1", "--ttl", "3"],
      /--ttl does not go with --path/,
    ],
  ];
  for (const [args, message] of cases) {
    const r = await probe([
      ...args,
      "--count",
      args.includes("--count") ? args[args.indexOf("--count") + 1] : "1",
    ]);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    assert.doesNotMatch(r.stderr, /positional/, r.stderr);
    assert.equal(r.stdout, "");
  }
});

const noBed = gate("CLI test-bed tests", await testbedUnavailableReason());

/** Runs the CLI in a fresh namespace with this ping group range and CAP_NET_RAW dropped. */
async function probeWithoutRawSockets(groupRange: string, args: string[]) {
  const ns = `pla-cli-${Deno.pid}`;
  const ip = (a: string[]) => new Deno.Command("ip", { args: a }).output();
  await ip(["netns", "add", ns]);
  try {
    await ip([
      "netns",
      "exec",
      ns,
      "sysctl",
      "-qw",
      `net.ipv4.ping_group_range=${groupRange}`,
    ]);
    await ip(["-n", ns, "link", "set", "lo", "up"]);
    const drop = [
      "ip",
      "netns",
      "exec",
      ns,
      "setpriv",
      "--bounding-set=-net_raw",
      "--inh-caps=-net_raw",
    ];
    return await probe(args, drop);
  } finally {
    await ip(["netns", "del", ns]);
  }
}

Deno.test({
  name: "without ICMP privilege it says how to grant it (exit 3)",
  ignore: noBed,
  async fn() {
    const r = await probeWithoutRawSockets("1 0", [
      "--host",
      "127.0.0.1",
      "--count",
      "1",
    ]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /no permission to open an ICMPv4 socket/);
    assert.match(r.stderr, /ping_group_range/);
    assert.match(r.stderr, /cap_net_raw/);
  },
});

Deno.test({
  name: "unprivileged ping sockets are used when the group range allows them",
  ignore: noBed,
  async fn() {
    // Raw sockets are impossible here, so answers prove the ping-socket path.
    const args = [
      "--host",
      "127.0.0.1",
      "--host",
      "::1",
      "--count",
      "3",
      "--interval",
      "10ms",
    ];
    const r = await probeWithoutRawSockets("0 2147483647", args);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.match(/time=/g)?.length, 6);
  },
});

/** `--path` NDJSON lines by type, each checked against its schema. */
function pathLines(stdout: string) {
  const lines = stdout.trim().split("\n").map((l) => JSON.parse(l));
  const of = (type: string) => lines.filter((l) => l.type === type);
  const strip = ({ type: _, ...rest }: Record<string, unknown>) => rest;
  // Exactly the schema's fields plus `type`.
  const hops = of("hop").map((l) => hopRecord.strict().parse(strip(l)));
  const paths = of("path").map((l) => pathSummary.strict().parse(strip(l)));
  return { lines, hops, paths, probes: of("probe") };
}

Deno.test("--path --output json: cumulative hop records, then a path record with the verdict", async () => {
  const r = await probe([
    "--path",
    "--host",
    "127.0.0.1",
    "--output",
    "json",
    "--count",
    "3",
    "--interval",
    "50ms",
    "--report-every",
    "40ms",
    "--per-probe",
  ]);
  assert.equal(r.code, 0, r.stderr);
  const { lines, hops, paths, probes } = pathLines(r.stdout);
  assert.deepEqual(
    new Set(lines.map((l) => l.type)),
    new Set(["probe", "hop", "path"]),
  );
  // Loopback is one hop: every hop record is hop 1, cumulative, the last complete.
  assert.ok(hops.length >= 2, `${hops.length} hop records`);
  assert.ok(hops.every((h) => h.hop === 1 && h.address === "127.0.0.1"));
  for (let i = 1; i < hops.length; i++) {
    assert.ok(hops[i].sent >= hops[i - 1].sent);
  }
  const last = hops.at(-1)!;
  assert.equal(last.sent, 3);
  assert.equal(last.received, 3);
  assert.equal(last.loss_pct, 0);
  assert.equal(last.hop_address, "127.0.0.1");
  assert.equal(last.forwarded_loss, false);
  // Names are on by default: /etc/hosts names 127.0.0.1 (node:dns lookupService
  // works with the probe task's permissions).
  assert.equal(typeof last.hop_addresses[0].name, "string");
  assert.equal(paths.length, 1);
  assert.equal(lines.at(-1).type, "path");
  const p = paths[0];
  assert.equal(p.target, "127.0.0.1");
  assert.equal(p.destination_reached, true);
  assert.equal(p.destination_hop, 1);
  assert.equal(p.loss_origin, null);
  assert.deepEqual(p.route_changes, []);
  assert.deepEqual(p.hops.map((h) => [h.hop, h.sent, h.received]), [[1, 3, 3]]);
  // --per-probe: the probes carry their hop; hop 1's are the destination's own replies.
  const hop1 = probes.filter((x) => x.hop === 1);
  assert.equal(hop1.length, 3);
  assert.ok(hop1.every((x) => x.status === "ok" && x.from === undefined));
  assert.ok(probes.every((x) => Number.isInteger(x.hop) && x.hop >= 1));
});

Deno.test("--path with several hosts and -n: one path record each, no names", async () => {
  const r = await probe([
    "--path",
    "--host",
    "127.0.0.1",
    "--host",
    "::1",
    "-n",
    "--output",
    "json",
    "--count",
    "2",
    "--interval",
    "20ms",
  ]);
  assert.equal(r.code, 0, r.stderr);
  const { hops, paths } = pathLines(r.stdout);
  assert.deepEqual(paths.map((p) => [p.target, p.destination_hop]), [
    ["127.0.0.1", 1],
    ["::1", 1],
  ]);
  // The final hop records (the 1 s report period does not come first).
  for (const target of ["127.0.0.1", "::1"]) {
    const last = hops.filter((h) => h.target === target).at(-1);
    assert.deepEqual([last?.hop, last?.sent, last?.received], [1, 2, 2]);
  }
  assert.ok(hops.every((h) => h.hop_addresses.every((a) => a.name === null)));
});

Deno.test("--path text output (not a terminal): only the final mtr-like table, no escape codes", async () => {
  const r = await probe([
    "--path",
    "--host",
    "127.0.0.1",
    "--count",
    "3",
    "--interval",
    "50ms",
    "-n",
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(!r.stdout.includes("\x1b"), JSON.stringify(r.stdout));
  assert.equal(r.stdout.match(/^PATH to 127\.0\.0\.1$/gm)?.length, 1);
  assert.match(
    r.stdout,
    /^HOST: \S+ +Loss% +Snt +Last +Avg +Best +Wrst +StDev +Jitter$/m,
  );
  assert.match(r.stdout, /^ {2}1\.\|-- 127\.0\.0\.1 +0\.0% +3 +[0-9.]+ /m);
  assert.match(r.stdout, /^destination reached at hop 1; no loss/m);
  assert.doesNotMatch(r.stdout, /^ {2}2\.\|--/m);
});

const noScript = gate(
  "CLI live terminal test",
  new Deno.Command("script", { args: ["--version"], stdout: "null" })
      .outputSync().success
    ? null
    : "no script(1) to give the CLI a terminal",
);

Deno.test({
  name:
    "--path on a terminal: the table is redrawn in place, the final one last",
  ignore: noScript,
  async fn() {
    const argv = [
      Deno.execPath(),
      "run",
      ...taskPermissions("probe"),
      cli,
      "--path",
      "--host",
      "127.0.0.1",
      "-n",
      "--count",
      "4",
      "--interval",
      "250ms",
      "--report-every",
      "250ms",
    ];
    const quoted = argv.map((a) => `'${a.replaceAll("'", "'\\''")}'`);
    // script(1) runs the CLI on a pseudo-terminal (-e: with its exit status).
    const r = await runCommand("script", [
      "-qec",
      quoted.join(" "),
      "/dev/null",
    ]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const text = r.stdout.replaceAll("\r\n", "\n");
    // CSI n F (up n lines) then CSI J (clear): one redraw.
    const redraws = text.split(new RegExp(String.raw`\x1b\[\d+F\x1b\[J`));
    assert.ok(redraws.length >= 3, `${redraws.length - 1} redraws`);
    // Every frame is a whole table; the last one is the final table.
    for (const frame of redraws) assert.match(frame, /^PATH to 127\.0\.0\.1\n/);
    assert.match(redraws.at(-1)!, /^ {2}1\.\|-- 127\.0\.0\.1 +0\.0% +4 /m);
    assert.match(redraws.at(-1)!, /destination reached at hop 1/);
  },
});

Deno.test({
  name:
    "--path: a destination that never answers exits 1, its path record says so",
  ignore: noBed,
  async fn() {
    // A fresh namespace with only loopback: 198.18.0.1 has no route, every
    // send fails locally (ENETUNREACH) and no packet leaves.
    const r = await probeWithoutRawSockets("0 2147483647", [
      "--path",
      "--host",
      "198.18.0.1",
      "--max-hops",
      "3",
      "--count",
      "2",
      "--interval",
      "20ms",
      "--timeout",
      "100ms",
      "-n",
      "--output",
      "json",
    ]);
    assert.equal(r.code, 1, r.stderr);
    const { paths } = pathLines(r.stdout);
    assert.equal(paths.length, 1);
    assert.equal(paths[0].destination_reached, false);
    assert.equal(paths[0].destination_hop, null);
    assert.equal(paths[0].hops[0].hop_address, null);
    assert.equal(paths[0].hops[0].received, 0);
  },
});
