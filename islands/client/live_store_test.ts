// LiveStore turns stream events into chart series and table rows.
import assert from "node:assert/strict";
import type { ProbeRecord } from "../../model/probe.ts";
import type { TargetReport, TestMeta } from "../../model/run.ts";
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
): ProbeRecord & { timestamp: string } => ({
  timestamp: new Date(1_700_000_000_000 + index * 100).toISOString(),
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
  store.apply({ type: "probe", data: probe("a", 0, "ok", 0.5) });
  store.apply({ type: "probe", data: probe("a", 2, "ok", 0.7) });
  // Known only at its timeout, after the next reply.
  store.apply({ type: "probe", data: probe("a", 1, "lost", null) });
  store.apply({ type: "probe", data: probe("a", 2, "duplicate", 0.9) });
  store.apply({ type: "probe", data: probe("a", 2, "ok", 0.7) });
  store.apply({ type: "probe", data: probe("b", 0, "late", 900) });
  const a = store.probes[0];
  assert.deepEqual(a.index, [0, 1, 2]);
  assert.deepEqual(a.rtt, [0.5, null, 0.7]);
  assert.deepEqual(a.lost, [null, 1, null]);
  assert.deepEqual(a.x, [1_700_000_000, 1_700_000_000.1, 1_700_000_000.2]);
  assert.deepEqual(store.probes[1].rtt, [null], "late counts as lost");
  assert.equal(store.version.value, 4);
});

Deno.test("interval and summary reports fill the table; status and error", () => {
  const store = new LiveStore(meta, [report("b", 3, 0)]);
  const row = (i: number) => store.reports[i].value;
  assert.equal(row(0), null);
  assert.equal(row(1)?.sent, 3);
  store.apply({ type: "interval", data: report("a", 10, 0, 2) });
  store.apply({ type: "interval", data: report("a", 20, 3, 2) });
  assert.equal(row(0)?.sent, 20);
  store.apply({ type: "summary", data: report("a", 20, 4) });
  assert.equal(row(0)?.lost, 4);
  store.apply({
    type: "status",
    data: { id: "t1", status: "failed", error: "boom" },
  });
  assert.equal(store.status.value, "failed");
  assert.equal(store.error.value, "boom");
  assert.equal(store.running, false);
});

Deno.test("loss and jitter per bucket of send time, updated when a late loss arrives", () => {
  const store = new LiveStore(meta, null);
  assert.equal(store.bucket, 1, "100 ms probes: 1 s buckets");
  const rtt = (i: number) => i % 2 ? 0.7 : 0.5;
  for (let i = 0; i < 20; i++) {
    if (i !== 3 && i !== 12 && i !== 13) {
      store.apply({ type: "probe", data: probe("a", i, "ok", rtt(i)) });
    }
  }
  store.apply({ type: "probe", data: probe("a", 12, "lost", null) });
  const before = store.quality(0);
  assert.deepEqual(before.keys, [1_700_000_000, 1_700_000_001]);
  // Plotted at the mean send time of the probes known in each bucket.
  assert.ok(Math.abs(before.x[0] - (1_700_000_000 + 0.1 * 42 / 9)) < 1e-6);
  assert.deepEqual(before.loss, [0, (1 / 9) * 100], "probe 13 not known yet");
  // Probe 3 is known lost only at its timeout, after probe 19.
  store.apply({ type: "probe", data: probe("a", 3, "lost", null) });
  store.apply({ type: "probe", data: probe("a", 13, "late", 1200) });
  const q = store.quality(0);
  assert.deepEqual(q.loss, [10, 20]);
  // Successive replies in bucket 0: 0,1,2,4..9: seven steps of 0.2, one of 0.
  assert.ok(Math.abs(q.jitter[0]! - 1.4 / 8) < 1e-9, `${q.jitter[0]}`);
  assert.equal(store.quality(1).x.length, 0, "target b has no probes");
});
