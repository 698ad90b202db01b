import assert from "node:assert/strict";
import type { RunEvent } from "../../model/events.ts";
import { bigTestEvents, bigTestPlan } from "../../testing/stored_big_test.ts";
import {
  bucketSeries,
  cdfOf,
  median,
  rangeOf,
  rawSeries,
} from "./downsample.ts";
import { buildProbeIndex, LATE, OK, type TargetProbes } from "./probe_index.ts";

async function* chunksOf(events: Iterable<RunEvent[]>) {
  yield* events;
}

async function indexOf(
  probes: number,
  o: { lost?: number[]; spikeAt?: number } = {},
) {
  const plan = bigTestPlan({ probes, ...o });
  const index = await buildProbeIndex(chunksOf(bigTestEvents(plan, 997)), [
    "localhost-v4",
  ]);
  return { plan, p: index.targets[0] };
}

Deno.test("a single lost probe and a single spike survive every bucket size", async () => {
  const { plan, p } = await indexOf(10_000, { lost: [5003], spikeAt: 2501 });
  const from = plan.at(0), to = plan.at(9_999);
  const [lo, hi] = rangeOf(p, from, to);
  assert.deepEqual([lo, hi], [0, 10_000]);
  for (const points of [1, 2, 3, 7, 10, 99, 100, 101, 997, 1000, 4999, 5000]) {
    const s = bucketSeries(p, lo, hi, from, to, points);
    assert.ok(s.t.length <= points, `${points}: at most one bucket a point`);
    assert.equal(
      s.count.reduce((a, b) => a + b, 0),
      10_000,
      `${points}: all counted`,
    );
    assert.equal(
      s.lost.reduce((a, b) => a + b, 0),
      1,
      `${points}: the loss kept`,
    );
    const width = (to - from) / points;
    const lostAt = s.lost.findIndex((l) => l > 0);
    // The bucket holding the loss is the one whose span holds its send time.
    assert.ok(
      s.t[lostAt] <= plan.at(5003) &&
        plan.at(5003) < s.t[lostAt] + width + 1e-6,
      `${points}: loss in its bucket`,
    );
    assert.equal(
      Math.max(...s.max.map((m) => m ?? 0)),
      250,
      `${points}: spike is a max`,
    );
    const spikeAt = s.max.indexOf(250);
    assert.ok(
      s.t[spikeAt] <= plan.at(2501) &&
        plan.at(2501) < s.t[spikeAt] + width + 1e-6,
    );
    assert.ok(s.loss_pct[lostAt] > 0 && s.loss_pct[lostAt] <= 100);
  }
});

Deno.test("buckets hold exact min, max, median and jitter of their replies", () => {
  const rtts = [5, 1, 3, NaN, 2, 9, 4, 4];
  const p: TargetProbes = {
    target: "a",
    t: Float64Array.from(rtts.map((_, i) => 1000 + i * 10)),
    rtt: Float64Array.from(rtts),
    status: Uint8Array.from(rtts.map((r) => Number.isNaN(r) ? LATE : OK)),
    index: Uint32Array.from(rtts.map((_, i) => i)),
  };
  // Two buckets of 40 ms: probes 0..3 and 4..7.
  const s = bucketSeries(p, 0, 8, 1000, 1080, 2);
  assert.deepEqual(s.t, [1000, 1040]);
  assert.deepEqual(s.count, [4, 4]);
  assert.deepEqual(s.received, [3, 4]);
  assert.deepEqual(s.lost, [1, 0]);
  assert.deepEqual(s.min, [1, 2]);
  assert.deepEqual(s.max, [5, 9]);
  assert.deepEqual(s.median, [3, 4]);
  assert.deepEqual(s.loss_pct, [25, 0]);
  // |1-5|, |3-1| then |9-2|, |4-9|, |4-4|.
  assert.deepEqual(s.jitter, [3, 4]);
  // The last probe sits exactly on `to` and is counted in the last bucket.
  assert.deepEqual(rangeOf(p, 1000, 1070), [0, 8]);
  assert.deepEqual(rangeOf(p, 1010, 1060), [1, 7]);
  // Raw: each probe a bucket, with its number and fate.
  const raw = rawSeries(p, 2, 5);
  assert.deepEqual(raw.t, [1020, 1030, 1040]);
  assert.deepEqual(raw.median, [3, null, 2]);
  assert.deepEqual(raw.lost, [0, 1, 0]);
  assert.deepEqual(raw.status, ["ok", "late", "ok"]);
  assert.deepEqual(raw.index, [2, 3, 4]);
});

Deno.test("empty buckets are left out and a zero-width range is one bucket", () => {
  const p: TargetProbes = {
    target: "a",
    t: Float64Array.from([0, 1, 100]),
    rtt: Float64Array.from([1, 2, 3]),
    status: new Uint8Array(3),
    index: Uint32Array.from([0, 1, 2]),
  };
  const s = bucketSeries(p, 0, 3, 0, 100, 10);
  assert.deepEqual(s.t, [0, 90]);
  assert.deepEqual(s.count, [2, 1]);
  const one = bucketSeries(p, 2, 3, 100, 100, 5);
  assert.deepEqual(one.count, [1]);
});

Deno.test("the index keeps one final fate per probe: late replaces lost, duplicates left out", async () => {
  const probe = (index: number, status: string, rtt: number | null) =>
    ({
      id: 0,
      type: "probe",
      data: {
        timestamp: "",
        target: "a",
        address: "127.0.0.1",
        index,
        seq: index,
        sent_at: 1000 + index,
        rtt_ms: rtt,
        status,
        ttl: 64,
        ts_source: "kernel",
      },
    }) as RunEvent;
  const index = await buildProbeIndex(
    chunksOf([[probe(0, "ok", 1), probe(2, "ok", 3), probe(1, "lost", null)], [
      probe(1, "late", 1500),
      probe(2, "duplicate", 3),
      probe(3, "error", null),
    ]]),
    ["a", "b"],
  );
  const [a, b] = index.targets;
  assert.deepEqual([...a.index], [0, 1, 2, 3]);
  assert.deepEqual([...a.status], [OK, LATE, OK, 3]);
  assert.ok(Number.isNaN(a.rtt[1]), "a late reply has no RTT in the chart");
  assert.equal(b.t.length, 0);
});

Deno.test("median and CDF are exact", () => {
  assert.equal(median(Float64Array.from([3, 1, 2])), 2);
  assert.equal(median(Float64Array.from([4, 1, 3, 2])), 2.5);
  const sorted = Float64Array.from({ length: 200 }, (_, i) => i + 1);
  const cdf = cdfOf(sorted, 100);
  assert.equal(cdf.p.length, 101);
  assert.equal(cdf.rtt_ms[0], 1);
  assert.equal(cdf.rtt_ms[50], 100);
  assert.equal(cdf.rtt_ms[99], 198);
  assert.equal(cdf.rtt_ms[100], 200);
  assert.deepEqual(cdfOf(new Float64Array(0), 100), { p: [], rtt_ms: [] });
});
