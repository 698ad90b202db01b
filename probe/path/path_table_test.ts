// The mtr-like path report (pure): layout, ECMP continuation lines, `???`,
// the loss origin and the hops that only rate-limit their answers.
import assert from "node:assert/strict";
import type { HopRecord, PathSummary } from "../../model/path.ts";
import {
  formatPathTable,
  LOSS_ORIGIN_NOTE,
  NOT_FORWARDING_NOTE,
} from "./path_table.ts";

const T = "2026-11-30T04:00:10.000Z";

function hop(
  n: number,
  addresses: [string, string | null, number][],
  sent: number,
  forwarded = false,
): HopRecord {
  const received = addresses.reduce((sum, a) => sum + a[2], 0);
  const rtt = received > 0 ? n * 1.25 : null;
  return {
    timestamp: T,
    target: "dest.example",
    address: "198.18.4.1",
    hop: n,
    hop_address: addresses[0]?.[0] ?? null,
    hop_addresses: addresses.map(([address, name, received]) => ({
      address,
      name,
      received,
    })),
    sent,
    received,
    loss_pct: sent === 0 ? 0 : 100 * (sent - received) / sent,
    last_rtt_ms: rtt,
    min_rtt_ms: rtt === null ? null : rtt - 0.5,
    avg_rtt_ms: rtt,
    max_rtt_ms: rtt === null ? null : rtt + 0.5,
    stdev_ms: rtt === null ? null : 0.25,
    jitter_ms: rtt === null ? null : 0.1,
    forwarded_loss: forwarded,
  };
}

/** Hop 1 ECMP, hop 2 rate-limited, hop 3 silent, hop 4 the destination, no loss. */
const rateLimited: PathSummary = {
  timestamp: T,
  target: "dest.example",
  address: "198.18.4.1",
  destination_reached: true,
  destination_hop: 4,
  loss_origin: null,
  route_changes: [],
  hops: [
    hop(1, [["198.18.1.1", "r1.example", 7], ["198.18.1.2", null, 3]], 10),
    hop(2, [["198.18.2.1", null, 6]], 10),
    hop(3, [], 10),
    hop(4, [["198.18.4.1", "dest.example", 10]], 10),
  ],
};

Deno.test("path table: mtr --report layout, ECMP lines, ???, rate-limited hops", () => {
  const text = formatPathTable(rateLimited, {
    localHost: "probe-host",
    start: "2026-11-30T04:00:00.000Z",
  });
  assert.equal(
    text,
    [
      "PATH to dest.example (198.18.4.1)",
      "Start: 2026-11-30T04:00:00.000Z",
      "HOST: probe-host                   Loss%   Snt    Last     Avg    Best    Wrst   StDev  Jitter",
      "  1.|-- 198.18.1.1 (r1.example)     0.0%    10    1.25    1.25    0.75    1.75    0.25    0.10",
      "    |-- 198.18.1.2                                                                              answered 3 of 10",
      `  2.|-- 198.18.2.1                 40.0%    10    2.50    2.50    2.00    3.00    0.25    0.10  ${NOT_FORWARDING_NOTE}`,
      `  3.|-- ???                       100.0%    10       -       -       -       -       -       -  ${NOT_FORWARDING_NOTE}`,
      "  4.|-- 198.18.4.1 (dest.example)   0.0%    10    5.00    5.00    4.50    5.50    0.25    0.10",
      "destination reached at hop 4; no loss to the destination",
    ].join("\n"),
  );
  // Not a terminal's business: no escape codes in the table itself.
  assert.ok(!text.includes("\x1b"));
});

Deno.test("path table: the loss origin is marked, forwarded loss is not 'rate-limited', route changes listed", () => {
  const lossy: PathSummary = {
    ...rateLimited,
    loss_origin: 3,
    hops: [
      hop(1, [["198.18.1.1", "r1.example", 10]], 10),
      hop(2, [["198.18.2.1", null, 9]], 10), // rate-limited: 1 lost, not forwarded
      hop(3, [["198.18.3.1", null, 5]], 10, true),
      hop(4, [["198.18.4.1", null, 5]], 10, true),
    ],
    route_changes: [{
      timestamp: "2026-11-30T04:00:05.000Z",
      target: "dest.example",
      address: "198.18.4.1",
      hop: 1,
      from: "198.18.1.2",
      to: "198.18.1.1",
    }],
  };
  const lines = formatPathTable(lossy, { localHost: "h" }).split("\n");
  assert.ok(!lines.some((l) => l.startsWith("Start:")), "no start: no line");
  const row = (n: number) => lines.find((l) => l.startsWith(`  ${n}.|-- `))!;
  assert.ok(row(2).endsWith(NOT_FORWARDING_NOTE), row(2));
  assert.ok(row(3).endsWith(LOSS_ORIGIN_NOTE), row(3));
  assert.ok(!row(4).includes(NOT_FORWARDING_NOTE), row(4));
  assert.ok(!row(1).includes("  <-") && !row(1).includes("not forwarding"));
  assert.equal(
    lines.at(-3),
    "destination reached at hop 4; loss starts at hop 3",
  );
  assert.deepEqual(lines.slice(-2), [
    "Route changes:",
    "  2026-11-30T04:00:05.000Z  hop 1: 198.18.1.2 -> 198.18.1.1 (r1.example)",
  ]);
});

Deno.test("path table: an unreached destination, hops still silent, long names widen the host column", () => {
  const long = "a-rather-long-router-name.core.example.net";
  const unreached: PathSummary = {
    ...rateLimited,
    target: "198.18.4.1",
    destination_reached: false,
    destination_hop: null,
    loss_origin: 2,
    hops: [
      hop(1, [["198.18.1.1", long, 3]], 3),
      hop(2, [], 3, true),
    ],
  };
  const lines = formatPathTable(unreached, { localHost: "h" }).split("\n");
  assert.equal(lines[0], "PATH to 198.18.4.1");
  const header = lines[1];
  const first = lines[2];
  assert.ok(first.startsWith(`  1.|-- 198.18.1.1 (${long})`), first);
  // The numbers stay in their columns: Loss% ends where the header's does.
  assert.equal(
    first.indexOf("0.0%") + "0.0%".length,
    header.indexOf("Loss%") + "Loss%".length,
  );
  assert.match(lines[3], /^ {2}2\.\|-- \?\?\? +100\.0% +3 +- +- /);
  assert.ok(lines[3].endsWith(LOSS_ORIGIN_NOTE));
  assert.equal(lines.at(-1), "destination not reached; loss starts at hop 2");
});
