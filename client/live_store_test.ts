// LiveStore turns stream events into chart series and table rows.
import assert from "node:assert/strict";
import type { ProbeRecord } from "../probe/schemas.ts";
import type { TargetReport, TestMeta } from "../server/test_meta.ts";
import { LiveStore } from "./live_store.ts";

const meta: TestMeta = {
  id: "t1",
  status: "running",
  created_at: "2026-01-01T00:00:00.000Z",
  finished_at: null,
  settings: { interval_ms: 100, timeout_ms: 500, size: 56, count: 10 },
  targets: [
    { id: "a", name: "A", host: "127.0.0.1", address: "127.0.0.1" },
    { id: "b", name: "B", host: "::1", address: "::1" },
  ],
};

const probe = (
  target: string,
  index: number,
  status: ProbeRecord["status"],
  rtt: number | null,
): ProbeRecord => ({
  target,
  address: "127.0.0.1",
  index,
  seq: index,
  sent_at: 1_700_000_000_000 + index * 100,
  rtt_ms: rtt,
  status,
  ttl: 64,
  ts_source: "kernel",
});

const report = (
  target: string,
  sent: number,
  lost: number,
  pending = 0,
): TargetReport => ({
  timestamp: new Date(1_700_000_000_000 + sent * 100).toISOString(),
  target,
  address: "127.0.0.1",
  sent,
  received: sent - lost - pending,
  lost,
  loss_pct: sent ? (lost / sent) * 100 : 0,
  duplicates: 0,
  late: 0,
  errors: 0,
  reordered: 0,
  pending,
  min_rtt_ms: 0.1,
  avg_rtt_ms: 0.2,
  max_rtt_ms: 0.3,
  mdev_ms: 0.01,
  median_rtt_ms: 0.2,
  p95_rtt_ms: 0.3,
  p99_rtt_ms: 0.3,
  jitter_ms: 0.02,
  jitter_rfc3550_ms: 0.01,
  loss_bursts: 0,
  longest_loss_burst: 0,
  outages: 0,
  outage_ms: 0,
  mos: 4.4,
});

Deno.test("probes land in index order; losses are gaps with a marker; duplicates and replays are ignored", () => {
  const store = new LiveStore(meta, null);
  store.apply("probe", probe("a", 0, "ok", 0.5));
  store.apply("probe", probe("a", 2, "ok", 0.7));
  // Known only at its timeout, after the next reply.
  store.apply("probe", probe("a", 1, "lost", null));
  store.apply("probe", probe("a", 2, "duplicate", 0.9));
  store.apply("probe", probe("a", 2, "ok", 0.7));
  store.apply("probe", probe("b", 0, "late", 900));
  const a = store.probes[0];
  assert.deepEqual(a.index, [0, 1, 2]);
  assert.deepEqual(a.rtt, [0.5, null, 0.7]);
  assert.deepEqual(a.lost, [null, 1, null]);
  assert.deepEqual(a.x, [1_700_000_000, 1_700_000_000.1, 1_700_000_000.2]);
  assert.deepEqual(store.probes[1].rtt, [null], "late counts as lost");
  assert.equal(store.version.value, 4);
});

Deno.test("interval reports fill the table and give the loss of each second", () => {
  const store = new LiveStore(meta, [report("b", 3, 0)]);
  const row = (i: number) => store.reports[i].value;
  assert.equal(row(0), null);
  assert.equal(row(1)?.sent, 3);
  store.apply("interval", report("a", 10, 0, 2));
  store.apply("interval", report("a", 20, 3, 2));
  store.apply("interval", report("a", 20, 3, 0));
  assert.deepEqual(store.quality[0].loss, [0, 30, 0]);
  assert.equal(row(0)?.sent, 20);
  store.apply("summary", report("a", 20, 4));
  assert.equal(row(0)?.lost, 4);
  store.apply("status", { id: "t1", status: "failed", error: "boom" });
  assert.equal(store.status.value, "failed");
  assert.equal(store.error.value, "boom");
  assert.equal(store.running, false);
});
