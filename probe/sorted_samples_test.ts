import assert from "node:assert/strict";
import { SortedSamples } from "./sorted_samples.ts";

Deno.test("SortedSamples: equals a full sort after every batch, small (insert) and large (merge)", () => {
  let seed = 99;
  const rand = () =>
    (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let round = 0; round < 40; round++) {
    const s = new SortedSamples();
    const all: number[] = [];
    while (all.length < 5000) {
      // Batches of 1 to 200 values: both sides of the insert/merge threshold.
      const k = 1 + Math.floor(rand() ** 2 * 200);
      for (let i = 0; i < k; i++) {
        const x = rand() < 0.2 ? Math.floor(rand() * 5) : rand() * 100 - 10;
        s.add(x);
        all.push(x);
      }
      assert.equal(s.size, all.length);
      assert.deepStrictEqual(
        Array.from(s.view()),
        Array.from(Float64Array.from(all).sort()),
      );
    }
  }
});
