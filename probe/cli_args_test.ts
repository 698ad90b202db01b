// The CLI's flags (node:util parseArgs) and their checks (the probeSettings
// schema, as for the API and the config).
import assert from "node:assert/strict";
import { parseCliArgs, UsageError } from "./cli_args.ts";

Deno.test("flags: both --name forms, short flags, hosts in order, --linger, parseArgs' messages", () => {
  const o = parseCliArgs([
    "--host",
    "a",
    "--interval=250ms",
    "b",
    "--host=c",
    "-4",
    "--per-probe",
    "--output",
    "json",
    "--",
    "-d",
  ])!;
  assert.deepEqual(o.hosts, ["a", "c", "b", "-d"]);
  assert.equal(o.settings.interval_ms, 250);
  assert.equal(o.family, 4);
  assert.equal(o.perProbe, true);
  assert.equal(o.output, "json");
  assert.equal(o.lingerMs, 10);
  assert.equal(parseCliArgs(["--host", "a", "--linger", "0"])!.lingerMs, 0);
  assert.equal(parseCliArgs(["--host", "a", "--linger=2s"])!.lingerMs, 2000);
  assert.equal(parseCliArgs(["-h"]), null);
  assert.equal(parseCliArgs(["--host", "a", "--help"]), null);
  const cases: [string[], string][] = [
    [["--host", "a", "--bogus"], "Unknown option '--bogus'"],
    [["--host", "a", "-x"], "Unknown option '-x'"],
    [["--host"], "Option '--host <value>' argument missing"],
    [
      ["--host", "a", "--count", "-3"],
      "Option '--count' argument is ambiguous (write --count=VALUE for a value starting with '-')",
    ],
    [
      ["--host", "a", "--per-probe=yes"],
      "Option '--per-probe' does not take an argument",
    ],
    [["--host", "a", "-4", "-6"], "-4 and -6 exclude each other"],
    [["--host", "a", "--linger", "61s"], "--linger: must be at most 60s"],
    [
      ["--host", "a", "--count", "1", "--duration", "1s"],
      "--count and --duration exclude each other",
    ],
    [
      ["--host", "a", "--interval", "0.5ms"],
      "--interval: interval must be at least 1 ms",
    ],
    [
      ["--host", "a", "--count", "9".repeat(400)],
      "--count: count must be a whole number",
    ],
  ];
  for (const [argv, message] of cases) {
    assert.throws(
      () => parseCliArgs(argv),
      (e) => e instanceof UsageError && e.message === message,
      `${argv.join(" ")}: expected ${message}`,
    );
  }
});

Deno.test("path flags: --path sets mode and max_hops (default 30), -n turns names off", () => {
  const plain = parseCliArgs(["--host", "a", "--count", "3"])!;
  assert.equal(plain.path, false);
  assert.equal(plain.names, false);
  assert.equal(plain.settings.mode, undefined);
  assert.equal(plain.settings.max_hops, undefined);
  const o = parseCliArgs(["--path", "--host", "a", "--host", "b"])!;
  assert.equal(o.path, true);
  assert.equal(o.names, true);
  assert.deepEqual(o.hosts, ["a", "b"]);
  assert.equal(o.settings.mode, "path");
  assert.equal(o.settings.max_hops, 30);
  assert.equal(o.settings.ttl, undefined);
  const p = parseCliArgs(["--path", "--host", "a", "--max-hops=64", "-n"])!;
  assert.equal(p.settings.max_hops, 64);
  assert.equal(p.names, false);
  assert.equal(
    parseCliArgs(["--path", "--host", "a", "--no-dns", "--max-hops", "1"])!
      .names,
    false,
  );
  const cases: [string[], string][] = [
    [["--path", "--max-hops", "0"], "--max-hops: max hops must be at least 1"],
    [["--path", "--max-hops", "65"], "--max-hops: max hops must be at most 64"],
    [
      ["--path", "--max-hops", "1.5"],
      "--max-hops: '1.5' is not a whole number",
    ],
    [["--max-hops", "5"], "--max-hops needs --path"],
    [["-n"], "-n / --no-dns needs --path"],
    [
      ["--path", "--ttl", "5"],
      "--ttl does not go with --path (each hop sets the TTL)",
    ],
  ];
  for (const [argv, message] of cases) {
    assert.throws(
      () => parseCliArgs(["--host", "a", ...argv]),
      (e) => e instanceof UsageError && e.message === message,
      `${argv.join(" ")}: expected ${message}`,
    );
  }
});
