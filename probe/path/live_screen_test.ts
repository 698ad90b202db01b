import assert from "node:assert/strict";
import { liveFrame, terminalRows } from "./live_screen.ts";

Deno.test("live screen: rows count wrapped lines, a frame moves up over the previous one and clears", () => {
  assert.equal(terminalRows("abc\n\nde\n", 80), 3);
  assert.equal(terminalRows("x".repeat(80) + "\n", 80), 1);
  assert.equal(terminalRows("x".repeat(81) + "\n", 80), 2);
  assert.equal(terminalRows("x".repeat(161), 80), 3);
  const first = liveFrame("a\nb", 0, 80);
  assert.deepEqual(first, { frame: "a\nb\n", rows: 2 });
  const next = liveFrame("a\nb\n" + "c".repeat(100), first.rows, 80);
  assert.equal(next.frame, "\x1b[2F\x1b[Ja\nb\n" + "c".repeat(100) + "\n");
  assert.equal(next.rows, 4);
});
