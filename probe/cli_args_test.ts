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
