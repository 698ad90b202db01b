import assert from "node:assert/strict";
import {
  constantTimeEqual,
  constantTimeEqualText,
  hashPassword,
  verifyPassword,
} from "./password.ts";

Deno.test("constant-time equality: equal, different, different lengths, empty", () => {
  const b = (...x: number[]) => new Uint8Array(x);
  assert.ok(constantTimeEqual(b(1, 2, 3), b(1, 2, 3)));
  assert.ok(!constantTimeEqual(b(1, 2, 3), b(1, 2, 4)));
  assert.ok(!constantTimeEqual(b(1, 2, 3), b(1, 2)));
  assert.ok(!constantTimeEqual(b(1, 2), b(1, 2, 0)));
  assert.ok(!constantTimeEqual(b(), b(0)));
  assert.ok(constantTimeEqual(b(), b()));
  assert.ok(constantTimeEqualText("a".repeat(64), "a".repeat(64)));
  assert.ok(!constantTimeEqualText("a".repeat(64), "a".repeat(63)));
  assert.ok(!constantTimeEqualText("abc", "abd"));
});

Deno.test("password hashes verify the right password only", async () => {
  const stored = await hashPassword("correct horse", 1000);
  assert.ok(await verifyPassword("correct horse", stored));
  assert.ok(!await verifyPassword("correct hors", stored));
  assert.ok(!await verifyPassword("correct horse", "not a hash"));
});
