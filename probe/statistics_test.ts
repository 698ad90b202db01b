import assert from "node:assert/strict";
import { computeStats } from "./statistics.ts";
import { type ProbeOutcome, targetStats } from "../model/probe.ts";

// Builders; sent_ms defaults to 1000 × index, received_ms to sent_ms + rtt_ms.
function ok(
  index: number,
  rtt: number,
  extra: Partial<ProbeOutcome> = {},
): ProbeOutcome {
  const sent_ms = extra.sent_ms ?? 1000 * index;
  return {
    index,
    status: "ok",
    rtt_ms: rtt,
    sent_ms,
    received_ms: sent_ms + rtt,
    duplicates: 0,
    ...extra,
  };
}

function notOk(
  status: "lost" | "late" | "error" | "pending",
  index: number,
  extra: Partial<ProbeOutcome> = {},
): ProbeOutcome {
  return {
    index,
    status,
    rtt_ms: null,
    sent_ms: 1000 * index,
    received_ms: null,
    duplicates: 0,
    ...extra,
  };
}

/** Deterministic Fisher–Yates shuffle (LCG), so failures are reproducible. */
function shuffled<T>(items: readonly T[], seed = 12345): T[] {
  const out = items.slice();
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2147483648;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

Deno.test("all-ok series: RTT figures, jitter, RFC 3550 jitter, MOS", () => {
  const s = computeStats([ok(0, 10), ok(1, 12), ok(2, 11), ok(3, 15)]);
  targetStats.parse(s);
  assert.equal(s.sent, 4);
  assert.equal(s.received, 4);
  assert.equal(s.lost, 0);
  assert.equal(s.loss_pct, 0);
  assert.equal(s.reordered, 0);
  assert.equal(s.loss_bursts, 0);
  assert.equal(s.longest_loss_burst, 0);
  assert.equal(s.outages, 0);
  assert.equal(s.outage_ms, 0);
  assert.equal(s.min_rtt_ms, 10);
  assert.equal(s.max_rtt_ms, 15);
  // avg = (10+12+11+15)/4 = 48/4 = 12
  assert.equal(s.avg_rtt_ms, 12);
  // mean(rtt²) = (100+144+121+225)/4 = 590/4 = 147.5; 147.5 − 12² = 3.5;
  // sqrt(3.5) = 1.87082… → 1.871
  assert.equal(s.mdev_ms, 1.871);
  // sorted 10 11 12 15 → (11+12)/2 = 11.5
  assert.equal(s.median_rtt_ms, 11.5);
  // ceil(0.95·4) − 1 = 3 and ceil(0.99·4) − 1 = 3 → 15
  assert.equal(s.p95_rtt_ms, 15);
  assert.equal(s.p99_rtt_ms, 15);
  // |12−10| + |11−12| + |15−11| = 2 + 1 + 4 = 7; 7/3 = 2.3333… → 2.333
  assert.equal(s.jitter_ms, 2.333);
  // J: 0 + (2−0)/16 = 0.125; + (1−0.125)/16 = 0.1796875;
  //    + (4−0.1796875)/16 = 0.1796875 + 0.23876953125 = 0.41845703125 → 0.418
  assert.equal(s.jitter_rfc3550_ms, 0.418);
  // EL = 12 + 2·2.33333 + 10 = 26.66667 (< 160); R = 93.2 − 26.66667/40 = 92.53333
  // MOS = 1 + 0.035·92.53333 + 7e-6·92.53333·32.53333·7.46667
  //     = 1 + 3.23867 + 7e-6·22477.8 = 1 + 3.23867 + 0.15734 = 4.39601 → 4.4
  assert.equal(s.mos, 4.4);
});

Deno.test("losses, late, error, duplicates and pending outcomes", () => {
  const outcomes: ProbeOutcome[] = [
    ok(0, 20, { duplicates: 1 }),
    notOk("lost", 1),
    // A late reply has an RTT but must not enter any RTT figure.
    notOk("late", 2, { rtt_ms: 1500, received_ms: 3500, duplicates: 1 }),
    ok(3, 30, { duplicates: 2 }),
    notOk("error", 4),
    ok(5, 25),
    // Pending: excluded from every figure, their duplicates too.
    notOk("pending", 6, { duplicates: 5 }),
    notOk("pending", 7),
  ];
  const s = computeStats(outcomes);
  targetStats.parse(s);
  assert.equal(s.pending, 2);
  assert.equal(s.sent, 6); // 8 outcomes − 2 pending
  assert.equal(s.received, 3); // indices 0, 3, 5
  assert.equal(s.lost, 3); // lost 1 + late 2 + error 4
  assert.equal(s.loss_pct, 50); // 100·3/6
  assert.equal(s.late, 1);
  assert.equal(s.errors, 1);
  assert.equal(s.duplicates, 4); // 1 + 1 + 2 (the pending 5 excluded)
  // RTTs 20, 30, 25 only (late 1500 excluded)
  assert.equal(s.min_rtt_ms, 20);
  assert.equal(s.max_rtt_ms, 30);
  assert.equal(s.avg_rtt_ms, 25); // 75/3
  assert.equal(s.median_rtt_ms, 25); // sorted 20 25 30 → middle one
  // mean(rtt²) = (400+900+625)/3 = 641.667; − 625 = 16.667; sqrt = 4.08248 → 4.082
  assert.equal(s.mdev_ms, 4.082);
  // send order 20, 30, 25 (losses skipped): (10 + 5)/2 = 7.5
  assert.equal(s.jitter_ms, 7.5);
  // J = 10/16 = 0.625; + (5 − 0.625)/16 = 0.625 + 0.2734375 = 0.8984375 → 0.898
  assert.equal(s.jitter_rfc3550_ms, 0.898);
  // runs: [1 lost, 2 late] (len 2), [4 error] (len 1)
  assert.equal(s.loss_bursts, 2);
  assert.equal(s.longest_loss_burst, 2);
  assert.equal(s.outages, 0);
  // EL = 25 + 2·7.5 + 10 = 50; R = 93.2 − 50/40 − 2.5·50 = 91.95 − 125 = −33.05 < 0
  // → MOS 1 (the raw polynomial would give 1 − 1.157 + 2.864 = 2.71).
  assert.equal(s.mos, 1);
});

Deno.test("reordering: arrival order differs from send order", () => {
  const outcomes: ProbeOutcome[] = [
    ok(0, 10, { sent_ms: 0 }), // arrives 10
    ok(1, 250, { sent_ms: 100 }), // arrives 350
    ok(2, 160, { sent_ms: 200 }), // arrives 360
    ok(3, 20, { sent_ms: 300 }), // arrives 320
    ok(4, 5, { sent_ms: 400 }), // arrives 405
    ok(5, 10, { sent_ms: 500 }), // arrives 510
    ok(6, 5, { sent_ms: 505 }), // arrives 510: tie with 5, index breaks it
    // Late replies are not "ok": this one must not count index 7 as arrived.
    notOk("late", 7, { sent_ms: 600, rtt_ms: 5000, received_ms: 5600 }),
    ok(8, 10, { sent_ms: 700 }), // arrives 710
  ];
  // Arrival order: 0(10) 3(320) 1(350) 2(360) 4(405) 5(510) 6(510) 8(710).
  // 1 and 2 arrive after 3 → 2 reordered; 5/6 tie ordered by index → not.
  const s = computeStats(outcomes);
  assert.equal(s.reordered, 2);
  assert.equal(s.received, 8);
  assert.equal(s.late, 1);

  // Highest index first, then the others in send order: 1, 2, 3 are each
  // below index 4 that arrived first → 3.
  const s2 = computeStats([
    ok(0, 500, { sent_ms: 0 }), // arrives 500
    ok(1, 400, { sent_ms: 100 }), // arrives 500: tie with 0, index 0 first
    ok(2, 300, { sent_ms: 200 }), // arrives 500
    ok(3, 200, { sent_ms: 300 }), // arrives 500
    ok(4, 1, { sent_ms: 400 }), // arrives 401
  ]);
  // Arrival: 4(401), then 0 1 2 3 (all 500) → all four below 4 → 4.
  assert.equal(s2.reordered, 4);

  // A missing received_ms falls back to sent_ms + rtt_ms: 1 arrives 100+300.
  const s3 = computeStats([
    ok(0, 10, { sent_ms: 0 }),
    ok(1, 300, { sent_ms: 100, received_ms: null }), // 400
    ok(2, 10, { sent_ms: 200 }), // 210
  ]);
  assert.equal(s3.reordered, 1);
});

Deno.test("loss bursts and outages, including one running at the end", () => {
  const outcomes: ProbeOutcome[] = [
    ok(0, 10), // sent 0
    notOk("lost", 1), // burst A: [1] len 1
    ok(2, 10),
    notOk("lost", 3), // burst B: [3, 4, 5] len 3, sent 3000
    notOk("late", 4, { rtt_ms: 1200, received_ms: 5200 }),
    notOk("error", 5),
    ok(6, 10), // ends B at sent 6000 → 6000 − 3000 = 3000
    notOk("lost", 7), // burst C: [7, 9] len 2, sent 7000
    notOk("pending", 8), // neither extends nor breaks C
    notOk("lost", 9),
    ok(10, 10), // ends C at sent 10000 → 10000 − 7000 = 3000
    notOk("lost", 11), // burst D: [11..14] len 4, sent 11000
    notOk("lost", 12),
    notOk("lost", 13),
    notOk("lost", 14, { sent_ms: 14500 }), // still running: 14500 − 11000 = 3500
    notOk("pending", 15), // must not stretch D to 15000
  ];
  const s = computeStats(outcomes);
  assert.equal(s.sent, 14);
  assert.equal(s.received, 4);
  assert.equal(s.pending, 2);
  assert.equal(s.loss_bursts, 4); // A, B, C, D
  assert.equal(s.longest_loss_burst, 4); // D
  // default outageMinProbes 3: B (3000) and D (3500)
  assert.equal(s.outages, 2);
  assert.equal(s.outage_ms, 6500);

  // outageMinProbes 2 adds C: 3000 + 3000 + 3500 = 9500
  const s2 = computeStats(outcomes, { outageMinProbes: 2 });
  assert.equal(s2.outages, 3);
  assert.equal(s2.outage_ms, 9500);
  assert.equal(s2.loss_bursts, 4);

  // outageMinProbes 4: only D
  const s4 = computeStats(outcomes, { outageMinProbes: 4 });
  assert.equal(s4.outages, 1);
  assert.equal(s4.outage_ms, 3500);

  // outageMinProbes 5: none
  const s5 = computeStats(outcomes, { outageMinProbes: 5 });
  assert.equal(s5.outages, 0);
  assert.equal(s5.outage_ms, 0);
});

Deno.test("an outage from the first probe, ended by an ok one", () => {
  const s = computeStats([
    notOk("lost", 0, { sent_ms: 100 }),
    notOk("lost", 1, { sent_ms: 1100 }),
    notOk("lost", 2, { sent_ms: 2100 }),
    ok(3, 10, { sent_ms: 3150.5 }),
  ]);
  // one burst of 3 from 100 to the ok at 3150.5 → 3050.5
  assert.equal(s.loss_bursts, 1);
  assert.equal(s.longest_loss_burst, 3);
  assert.equal(s.outages, 1);
  assert.equal(s.outage_ms, 3050.5);
});

Deno.test("nearest-rank percentiles and median on 20 and 100 values", () => {
  // RTT (7i mod 20) + 1 is a permutation of 1..20 (7 and 20 coprime),
  // so send order is not sorted order.
  const twenty = Array.from(
    { length: 20 },
    (_, i) => ok(i, ((7 * i) % 20) + 1),
  );
  const s20 = computeStats(twenty);
  assert.equal(s20.min_rtt_ms, 1);
  assert.equal(s20.max_rtt_ms, 20);
  // p95: ceil(0.95·20) − 1 = 19 − 1 = 18 → 19 (interpolation would give 19.05)
  assert.equal(s20.p95_rtt_ms, 19);
  // p99: ceil(0.99·20) − 1 = ceil(19.8) − 1 = 19 → 20
  assert.equal(s20.p99_rtt_ms, 20);
  // median: (10 + 11)/2 = 10.5
  assert.equal(s20.median_rtt_ms, 10.5);
  // avg = 210/20 = 10.5; mdev = sqrt((20² − 1)/12) = sqrt(33.25) = 5.76628 → 5.766
  assert.equal(s20.avg_rtt_ms, 10.5);
  assert.equal(s20.mdev_ms, 5.766);

  // (37i mod 100) + 1: a permutation of 1..100
  const hundred = Array.from(
    { length: 100 },
    (_, i) => ok(i, ((37 * i) % 100) + 1),
  );
  const s100 = computeStats(hundred);
  // p95: ceil(95) − 1 = 94 → 95; p99: ceil(99) − 1 = 98 → 99
  assert.equal(s100.p95_rtt_ms, 95);
  assert.equal(s100.p99_rtt_ms, 99);
  assert.equal(s100.median_rtt_ms, 50.5); // (50 + 51)/2
  assert.equal(s100.min_rtt_ms, 1);
  assert.equal(s100.max_rtt_ms, 100);

  // One value: every rank is that value.
  const s1 = computeStats([ok(0, 7.25)]);
  assert.equal(s1.p95_rtt_ms, 7.25);
  assert.equal(s1.p99_rtt_ms, 7.25);
  assert.equal(s1.median_rtt_ms, 7.25);
  assert.equal(s1.mdev_ms, 0);
  assert.equal(s1.jitter_ms, null); // fewer than 2 received
  assert.equal(s1.jitter_rfc3550_ms, null);
});

Deno.test("MOS: the EL >= 160 branch", () => {
  const s = computeStats([ok(0, 200), ok(1, 200)]);
  assert.equal(s.jitter_ms, 0);
  // EL = 200 + 0 + 10 = 210 ≥ 160 → R = 93.2 − (210 − 120)/10 = 84.2
  // MOS = 1 + 0.035·84.2 + 7e-6·84.2·24.2·15.8 = 1 + 2.947 + 7e-6·32194.712
  //     = 1 + 2.947 + 0.22536 = 4.17236 → 4.17
  // (the EL < 160 formula would give R = 87.95, MOS 4.29)
  assert.equal(s.mos, 4.17);
});

Deno.test("MOS: loss lowers R by 2.5 per percent", () => {
  // 9 ok at 20 ms + 1 lost: loss 10 %, jitter 0 (losses skipped)
  const outcomes = Array.from(
    { length: 10 },
    (_, i) => i === 4 ? notOk("lost", i) : ok(i, 20),
  );
  const s = computeStats(outcomes);
  assert.equal(s.loss_pct, 10);
  assert.equal(s.jitter_ms, 0);
  // EL = 20 + 0 + 10 = 30; R = 93.2 − 0.75 − 25 = 67.45
  // MOS = 1 + 0.035·67.45 + 7e-6·67.45·7.45·32.55 = 1 + 2.36075 + 7e-6·16356.46
  //     = 1 + 2.36075 + 0.11450 = 3.47525 → 3.48
  assert.equal(s.mos, 3.48);
});

Deno.test("MOS clamps: R < 0, raw MOS below 1, 100 % loss, empty", () => {
  // 1 ok (20 ms) + 9 lost: loss 90 %; EL = 30, R = 92.45 − 225 = −132.55 < 0 → 1
  // (the raw polynomial there is far above 4.5)
  const heavy = computeStats([
    ok(0, 20),
    ...Array.from({ length: 9 }, (_, i) => notOk("lost", i + 1)),
  ]);
  assert.equal(heavy.loss_pct, 90);
  assert.equal(heavy.mos, 1);

  // 13 ok at 18 ms + 7 lost: loss 35 %; EL = 18 + 10 = 28, R = 93.2 − 0.7 − 87.5 = 5
  // MOS = 1 + 0.175 + 7e-6·5·(−55)·95 = 1.175 − 0.182875 = 0.992125 → clamped to 1
  const low = computeStats(
    Array.from({ length: 20 }, (_, i) => i < 7 ? notOk("lost", i) : ok(i, 18)),
  );
  assert.equal(low.loss_pct, 35);
  assert.equal(low.mos, 1);

  // 100 % loss: sent 3, received 0 → MOS 1, RTT figures null
  const allLost = computeStats([
    notOk("lost", 0),
    notOk("error", 1),
    notOk("late", 2, { rtt_ms: 1500, received_ms: 3500 }),
  ]);
  targetStats.parse(allLost);
  assert.equal(allLost.sent, 3);
  assert.equal(allLost.loss_pct, 100);
  assert.equal(allLost.mos, 1);
  assert.equal(allLost.min_rtt_ms, null);
  assert.equal(allLost.avg_rtt_ms, null);
  assert.equal(allLost.p99_rtt_ms, null);
  assert.equal(allLost.mdev_ms, null);
  assert.equal(allLost.jitter_ms, null);
  // one run of 3 still running: 2000 − 0
  assert.equal(allLost.outages, 1);
  assert.equal(allLost.outage_ms, 2000);

  // empty: MOS null, every count 0
  const empty = computeStats([]);
  targetStats.parse(empty);
  assert.deepEqual(empty, {
    sent: 0,
    received: 0,
    lost: 0,
    loss_pct: 0,
    duplicates: 0,
    late: 0,
    errors: 0,
    reordered: 0,
    pending: 0,
    min_rtt_ms: null,
    avg_rtt_ms: null,
    max_rtt_ms: null,
    mdev_ms: null,
    median_rtt_ms: null,
    p95_rtt_ms: null,
    p99_rtt_ms: null,
    jitter_ms: null,
    jitter_rfc3550_ms: null,
    loss_bursts: 0,
    longest_loss_burst: 0,
    outages: 0,
    outage_ms: 0,
    mos: null,
  });

  // only pending: same as empty apart from the pending count
  const onlyPending = computeStats([notOk("pending", 0), notOk("pending", 1)]);
  assert.deepEqual(onlyPending, { ...empty, pending: 2 });
});

Deno.test("rounding: 3 decimals for ms figures, never -0", () => {
  // RTTs 1.00004 and −0.0004 (clock step): min −0.0004 rounds to 0, not −0
  const s = computeStats([ok(0, 1.00004), ok(1, -0.0004)]);
  assert.ok(Object.is(s.min_rtt_ms, 0), `min_rtt_ms was ${s.min_rtt_ms}`);
  assert.equal(s.max_rtt_ms, 1); // 1.00004 → 1
  // avg = 0.99964/2 = 0.49982 → 0.5
  assert.equal(s.avg_rtt_ms, 0.5);
  // loss_pct 1/3 → 33.333
  const t = computeStats([ok(0, 1), ok(1, 1), notOk("lost", 2)]);
  assert.equal(t.loss_pct, 33.333);
});

Deno.test("input order does not matter and the input is not mutated", () => {
  const series: ProbeOutcome[] = [
    ok(0, 10, { duplicates: 1 }),
    ok(1, 250, { sent_ms: 1100 }), // arrives 1350, before 2 (2010): in order
    ok(2, 10),
    notOk("lost", 3),
    notOk("pending", 4),
    notOk("late", 5, { rtt_ms: 1200, received_ms: 6200 }),
    notOk("error", 6),
    ok(7, 12),
    ok(8, 3000), // arrives 11000, after 9 (9020) → reordered
    ok(9, 20),
    notOk("lost", 10),
    notOk("lost", 11),
    notOk("lost", 12),
  ];
  const expected = computeStats(series);
  // hand-checked anchors so the comparison is not vacuous
  assert.equal(expected.reordered, 1);
  assert.equal(expected.loss_bursts, 2); // [3,5,6] and [10,11,12]
  assert.equal(expected.outages, 2);
  // [3,5,6] ended by ok 7: 7000 − 3000 = 4000; [10..12] running: 12000 − 10000
  assert.equal(expected.outage_ms, 6000);
  // ok RTTs in send order: 10, 250, 10, 12, 3000, 20
  // |240| + |240| + |2| + |2988| + |2980| = 6450; /5 = 1290
  assert.equal(expected.jitter_ms, 1290);

  for (const seed of [1, 7, 42, 2024]) {
    const input = shuffled(series, seed);
    const before = input.map((o) => o.index);
    assert.deepEqual(computeStats(input), expected);
    assert.deepEqual(input.map((o) => o.index), before);
  }
  const reversed = series.slice().reverse();
  assert.deepEqual(computeStats(reversed), expected);
  assert.equal(reversed[0].index, 12);
});
