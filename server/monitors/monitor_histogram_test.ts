import assert from "node:assert/strict";
import {
  bucketOf,
  bucketValue,
  DECILES,
  exactQuantile,
  Histogram,
  MAX_RELATIVE_ERROR,
} from "./monitor_histogram.ts";

Deno.test("histogram quantiles are within the stated relative error of the exact ones", () => {
  let seed = 42;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (const scale of [0.01, 0.3, 5, 80, 2000]) {
    const values = Array.from(
      { length: 5000 },
      () => scale * (0.5 + 3 * rand() ** 3),
    );
    const h = new Histogram();
    for (const v of values) h.add(v);
    const sorted = [...values].sort((a, b) => a - b);
    for (const q of [...DECILES, 0.01, 0.99, 1]) {
      const exact = exactQuantile(sorted, q);
      const got = h.quantile(q)!;
      assert(
        Math.abs(got - exact) / exact <= MAX_RELATIVE_ERROR + 1e-9,
        `scale ${scale} q ${q}: ${got} vs ${exact}`,
      );
    }
  }
  assert(MAX_RELATIVE_ERROR < 0.025);
});

Deno.test("histogram merge equals one histogram of all values; sparse form round-trips", () => {
  const a = new Histogram(), b = new Histogram(), all = new Histogram();
  [1, 2, 3, 50].forEach((v) => (a.add(v), all.add(v)));
  [0.2, 2, 900].forEach((v) => (b.add(v), all.add(v)));
  const m = Histogram.from(a.sparse());
  m.merge(b.sparse());
  assert.deepEqual(m.sparse(), all.sparse());
  assert.deepEqual(m.total, 7);
  assert.deepEqual(new Histogram().quantile(0.5), null);
  assert.deepEqual(bucketOf(0), 0);
  assert(bucketValue(bucketOf(1.234)) / 1.234 - 1 < MAX_RELATIVE_ERROR);
});
