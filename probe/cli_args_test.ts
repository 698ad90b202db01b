// The CLI's flags: parsed without node:util, checked without zod, and held
// equal to what parseArgs and the probeSettings schema would say.
import assert from "node:assert/strict";
import { checkProbeSettings, parseCliArgs, UsageError } from "./cli_args.ts";
import { probeSettings } from "../model/probe.ts";

Deno.test("checkProbeSettings agrees with the probeSettings schema, first issue included", () => {
  const edges: Record<string, (number | undefined)[]> = {
    interval_ms: [undefined, 0, 0.5, 1, 1.5, 3_600_000, 3_600_001, Infinity],
    count: [undefined, 0, 1, 2.5, 100_000_000, 100_000_001, Infinity, NaN],
    duration_s: [undefined, 0, 1e-9, 2.5, 2_678_400, 2_678_401, Infinity],
    timeout_ms: [undefined, 0, 1, 60_000, 60_001, -Infinity],
    size: [undefined, 15, 16, 16.5, 65_000, 65_001],
    ttl: [undefined, 0, 1, 1.5, 255, 256],
  };
  const base = { interval_ms: 10, timeout_ms: 100, size: 56 };
  const compare = (raw: Record<string, number | undefined>) => {
    for (const k of Object.keys(raw)) if (raw[k] === undefined) delete raw[k];
    const z = probeSettings.safeParse(raw);
    const ours = checkProbeSettings(raw);
    const what = JSON.stringify(
      raw,
      (_, v) => typeof v === "number" ? String(v) : v,
    );
    if (z.success) {
      assert.ok("data" in ours, `${what}: schema accepts, check refuses`);
      assert.deepEqual(ours.data, z.data, what);
    } else {
      assert.ok("issue" in ours, `${what}: schema refuses, check accepts`);
      const first = z.error.issues[0];
      assert.deepEqual(
        ours.issue,
        [String(first.path[0]), first.message],
        what,
      );
    }
  };
  // Each field alone at its edges, then pairs of broken fields (which issue comes first).
  for (const [key, values] of Object.entries(edges)) {
    for (const v of values) compare({ ...base, [key]: v });
  }
  const keys = Object.keys(edges);
  for (const a of keys) {
    for (const b of keys) {
      if (a === b) continue;
      compare({ ...base, [a]: edges[a][1], [b]: edges[b].at(-1) });
    }
  }
});

Deno.test("flags: both --name forms, short flags, hosts in order, parseArgs' messages", () => {
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
  assert.equal(parseCliArgs(["-h"]), null);
  assert.equal(parseCliArgs(["--host", "a", "--help"]), null);
  const cases: [string[], string][] = [
    [["--host", "a", "--bogus"], "Unknown option '--bogus'"],
    [["--host", "a", "-x"], "Unknown option '-x'"],
    [["--host"], "Option '--host <value>' argument missing"],
    [
      ["--host", "a", "--count", "-3"],
      "Option '--count' argument is ambiguous (write --count=-3 if you mean it)",
    ],
    [
      ["--host", "a", "--per-probe=yes"],
      "Option '--per-probe' does not take an argument",
    ],
    [["--host", "a", "-4", "-6"], "-4 and -6 exclude each other"],
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
