import assert from "node:assert/strict";
import { DeviceLedger, Rfc3550Jitter } from "./device_ledger.ts";
import type { ProbeRecord } from "../../model/probe.ts";

const settings = {
  size: 64,
  rate: 10,
  duration_s: 1,
  delay_ms: 100,
  warmup_s: 0,
};

Deno.test("the ledger splits loss by direction from the server's arrivals and the client's results", () => {
  const l = new DeviceLedger(settings);
  assert.equal(l.quota, 10);
  // The server got probes 0-7; 8 and 9 were lost on the way up.
  for (let seq = 0; seq < 8; seq++) {
    assert.equal(l.arrive(seq, 1000 + seq * 100, 5000 + seq * 100), "ok");
  }
  const records: ProbeRecord[] = [];
  // Echoes of 0-4 in time, 5 late (150 ms > 100 ms), 6-7 never came back.
  assert.ok(l.results(
    [[0, 1000], [1, 2000], [2, 1500], [3, 1000], [4, 3000], [5, 150_000]],
    (r) => records.push(r),
  ));
  assert.ok(l.results([[6, -1], [7, -1], [8, -1]], (r) => records.push(r)));
  assert.equal(l.complete, false);
  assert.ok(l.done(10, (r) => records.push(r)));
  assert.ok(l.complete);
  const s = l.summary();
  assert.deepEqual(
    { ...s.upload, jitter_ms: undefined },
    { sent: 10, received: 8, lost: 2, loss_pct: 20, jitter_ms: undefined },
  );
  assert.deepEqual(
    { ...s.download, jitter_ms: undefined },
    { echoed: 8, received: 6, lost: 2, loss_pct: 25, jitter_ms: undefined },
  );
  assert.equal(s.round_trip.sent, 10);
  assert.equal(s.round_trip.received, 5);
  assert.equal(s.round_trip.late, 1);
  assert.equal(s.round_trip.lost, 5);
  assert.equal(s.round_trip.loss_pct, 50);
  assert.equal(s.round_trip.min_rtt_ms, 1);
  assert.equal(s.round_trip.max_rtt_ms, 3);
  // Constant one-way transit up: no jitter.
  assert.equal(s.upload.jitter_ms, 0);
  assert.deepEqual(records.map((r) => r.status), [
    "ok",
    "ok",
    "ok",
    "ok",
    "ok",
    "late",
    "lost",
    "lost",
    "lost",
    "lost",
  ]);
  const ev = l.event();
  assert.deepEqual(ev.lost_up, [8, 9]);
  assert.deepEqual(ev.lost_down, [6, 7]);
  assert.deepEqual(l.event().lost_up, [], "each loss is listed once");
  // 50 % loss fails every preset.
  assert.ok(
    s.verdicts.every((v) => !v.pass && v.reasons[0].startsWith("loss")),
  );
});

Deno.test("results that contradict the server's count are refused whole; duplicates and over-quota probes are dropped", () => {
  const l = new DeviceLedger(settings);
  l.arrive(0, 0, 0);
  // An echo of a probe the server never got.
  assert.equal(l.results([[0, 500], [1, 500]]), false);
  assert.equal(l.summary().upload.sent, 0, "nothing changed");
  assert.equal(l.results([[0, 500], [0, 500]]), false, "listed twice");
  assert.ok(l.results([[0, 500]]));
  assert.equal(l.results([[0, 500]]), false, "settled already");
  assert.equal(l.arrive(0, 0, 1), "drop", "a duplicate");
  assert.equal(l.arrive(10, 0, 1), "drop", "past the quota");
  assert.equal(l.dropped, 2);
  l.arrive(5, 0, 2);
  assert.equal(l.done(3), false, "fewer sent than the server received");
  assert.equal(l.done(11), false, "more than the quota");
});

Deno.test("RFC 3550 jitter: J += (|D| - J) / 16 over consecutive transits", () => {
  const j = new Rfc3550Jitter();
  assert.equal(j.value, null);
  let expect = 0;
  const transits = [10, 12, 11, 15, 15, 9];
  transits.forEach((t, i) => {
    j.add(t);
    if (i > 0) expect += (Math.abs(t - transits[i - 1]) - expect) / 16;
  });
  assert.ok(Math.abs(j.value! - expect) < 1e-12);
  assert.ok(j.value! > 0);
});
