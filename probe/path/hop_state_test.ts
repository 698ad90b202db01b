import assert from "node:assert/strict";
import { HopState } from "./hop_state.ts";

Deno.test("HopState: a different address in send order is a change; reordering is not", () => {
  const h = new HopState();
  assert.equal(h.answer(0, "198.18.0.1", 1), undefined);
  assert.equal(h.answer(1, "198.18.0.1", 2), undefined);
  assert.equal(h.answer(3, "198.18.0.9", 3), "198.18.0.1");
  // An older probe's answer from the old path arriving late: no change back.
  assert.equal(h.answer(2, "198.18.0.1", 4), undefined);
  assert.equal(h.lastRtt, 3);
  assert.equal(h.answer(4, "198.18.0.9", 5), undefined);
});

Deno.test("HopState: addresses ranked by answers", () => {
  const h = new HopState();
  for (const a of ["b", "a", "b", "c", "b", "a"]) h.count(a);
  assert.deepEqual(h.ranked(), [["b", 3], ["a", 2], ["c", 1]]);
});
