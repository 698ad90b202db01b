import assert from "node:assert/strict";
import { fewerLossesP, type HopCounts, lossVerdict } from "./loss_origin.ts";

const hops = (...loss: [number, number][]): HopCounts[] =>
  loss.map(([sent, received], i) => ({ hop: i + 1, sent, received }));

Deno.test("fewerLossesP is the one-sided Fisher exact test (values from exact sums)", () => {
  const close = (x: number, y: number) =>
    assert.ok(Math.abs(x - y) < 1e-9 * Math.max(1, y), `${x} vs ${y}`);
  // sum_{x<=a} C(n1,x) C(n2,k-x) / C(n1+n2,k), computed with Python's comb.
  close(fewerLossesP(0, 40, 10, 40), 0.0005148281748755058);
  close(fewerLossesP(1, 4, 3, 4), 17 / 70);
  close(fewerLossesP(28, 120, 44, 120), 0.017113258472503296);
  close(fewerLossesP(5, 40, 14, 40), 0.016945092395416448);
  assert.equal(fewerLossesP(0, 10, 0, 10), 1); // no loss anywhere
  assert.equal(fewerLossesP(10, 10, 3, 10), 1); // all lost: not fewer
  // Large samples: the normal approximation, close to the exact value.
  const exact = fewerLossesP(560, 2000, 640, 2000);
  const approx = fewerLossesP(1120, 4000, 1280, 4000);
  assert.ok(exact < 0.005 && exact > 0.0001, String(exact));
  assert.ok(
    approx < exact,
    "twice the probes, the same ratios: stronger evidence",
  );
  assert.ok(fewerLossesP(29_000, 100_000, 30_000, 100_000) < 1e-6);
});

Deno.test("two hops losing the same share by chance apart: the earlier is not dismissed", () => {
  // R3 drops 25 %; hop 3 happened to lose 5 of 40, the destination 14 of 40.
  // The gap is chance (Fisher p = 0.017), so the loss still starts at hop 3.
  const v = lossVerdict(hops([40, 40], [40, 40], [40, 35], [40, 26]));
  assert.equal(v.lossOrigin, 3);
});

Deno.test("no loss at the destination: no origin, nothing forwarded", () => {
  const v = lossVerdict(hops([100, 10], [100, 100], [100, 100]));
  assert.equal(v.lossOrigin, null);
  assert.deepEqual(v.forwarded, [false, false, false]);
});

Deno.test("loss from hop 3 on: origin 3, a rate-limited hop 1 is not blamed", () => {
  // Hop 1 answers 10 % (ICMP rate limiting), hop 2 all, hops 3-4 lose ~30 %.
  const v = lossVerdict(hops([200, 20], [200, 200], [200, 141], [200, 139]));
  assert.equal(v.lossOrigin, 3);
  assert.deepEqual(v.forwarded, [false, false, true, true]);
});

Deno.test("a rate-limited hop after the origin still shows forwarded loss", () => {
  const v = lossVerdict(hops([200, 200], [200, 140], [200, 15], [200, 141]));
  assert.equal(v.lossOrigin, 2);
  assert.deepEqual(v.forwarded, [false, true, true, true]);
});

Deno.test("a hop with clearly less loss than the destination moves the origin after it", () => {
  // Hop 2 loses 1 % (noise or rate limiting), the destination 30 %: the
  // loss starts at hop 3, not hop 2.
  const v = lossVerdict(hops([300, 300], [300, 297], [300, 210], [300, 209]));
  assert.equal(v.lossOrigin, 3);
  assert.deepEqual(v.forwarded, [false, false, true, true]);
});

Deno.test("loss only at the destination: origin is the destination", () => {
  const v = lossVerdict(hops([100, 100], [100, 100], [100, 90]));
  assert.equal(v.lossOrigin, 3);
  assert.deepEqual(v.forwarded, [false, false, true]);
});

Deno.test("destination never answers: origin is the first silent hop", () => {
  const v = lossVerdict(hops([50, 50], [50, 50], [50, 0]));
  assert.equal(v.lossOrigin, 3);
});

Deno.test("a silent intermediate hop before a lossy stretch is not the origin", () => {
  // Hop 2 never answers (filtered), hop 3 and the destination lose 20 %.
  // Hop 2 gives no evidence either way: the origin is the first hop that
  // answers and shows the loss, hop 3.
  const v = lossVerdict(hops([200, 200], [200, 0], [200, 160], [200, 161]));
  assert.equal(v.lossOrigin, 3);
  assert.deepEqual(v.forwarded, [false, false, true, true]);
});

Deno.test("nothing sent yet: no verdict", () => {
  assert.equal(lossVerdict([]).lossOrigin, null);
  assert.equal(lossVerdict(hops([0, 0])).lossOrigin, null);
});

Deno.test("a clean hop between a rate-limited router and the lossy stretch ends the blame", () => {
  // 60 rounds: hop 3 rate-limits (40 %), hop 4 answers all 60, hops 5-6 lose
  // 10 %. Fisher alone is unsure about hop 4 (0 of 60 against 6 of 60, p
  // 0.014), but 6 losses were due there and none came: loss starts at 5.
  const v = lossVerdict(
    hops([60, 60], [60, 60], [60, 36], [60, 60], [60, 54], [60, 54]),
  );
  assert.equal(v.lossOrigin, 5);
  assert.deepEqual(v.forwarded, [false, false, false, false, true, true]);
  // With fewer losses due at hop 4 (2 of 60 at the destination), its clean
  // record proves nothing and the earliest consistent origin stands.
  const w = lossVerdict(
    hops([60, 60], [60, 60], [60, 36], [60, 60], [60, 58], [60, 58]),
  );
  assert.equal(w.lossOrigin, 3);
});
