import assert from "node:assert/strict";
import { parseDuration } from "./duration.ts";

Deno.test("durations with units and bare seconds", () => {
  assert.equal(parseDuration("1s", "x"), 1000);
  assert.equal(parseDuration("250ms", "x"), 250);
  assert.equal(parseDuration("1.5m", "x"), 90_000);
  assert.equal(parseDuration("2h", "x"), 7_200_000);
  assert.equal(parseDuration("0.2", "x"), 200);
  assert.equal(parseDuration("500us", "x"), 0.5);
});

Deno.test("bad durations name the flag", () => {
  for (const bad of ["", "1x", "-1s", "s", "1 s s", "1e3"]) {
    assert.throws(
      () => parseDuration(bad, "--interval"),
      /--interval: '.*' is not a duration/,
    );
  }
});
