import assert from "node:assert/strict";
import { binomialCdf, type HopCounts, lossVerdict } from "./loss_origin.ts";

const hops = (...loss: [number, number][]): HopCounts[] =>
  loss.map(([sent, received], i) => ({ hop: i + 1, sent, received }));

Deno.test("binomialCdf matches exact sums", () => {
  // P(X <= 0 | 10, 0.3) = 0.7^10
  assert.ok(Math.abs(binomialCdf(0, 10, 0.3) - 0.7 ** 10) < 1e-12);
  // P(X <= 1 | 4, 0.5) = (1 + 4) / 16
  assert.ok(Math.abs(binomialCdf(1, 4, 0.5) - 5 / 16) < 1e-12);
  assert.equal(binomialCdf(4, 4, 0.5), 1);
  assert.equal(binomialCdf(-1, 4, 0.5), 0);
  assert.equal(binomialCdf(0, 100, 0), 1);
  // Large n does not overflow.
  const p = binomialCdf(2900, 10000, 0.3);
  assert.ok(p > 0.01 && p < 0.02, String(p));
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
