import assert from "node:assert/strict";
import { ScheduleClock } from "./schedule_clock.ts";

Deno.test("on time, the schedule clock is the real clock", () => {
  const c = new ScheduleClock(3);
  assert.equal(c.at(1234.5), 1234.5);
  assert.equal(c.realOf(2000), 2000);
  // Up to lateMs overdue is sent as due: no change.
  assert.equal(c.pace(1000, 997.5), 1000);
  assert.equal(c.pace(1000, Infinity), 1000);
  assert.equal(c.behind, 0);
});

Deno.test("a late pass sets the clock back for good; due times only move later", () => {
  const c = new ScheduleClock(3);
  const before = [110, 200, 300].map((x) => c.realOf(x));
  // Due at 100, looked at 250: only what is due up to 103 goes now.
  assert.equal(c.pace(250, 100), 103);
  assert.equal(c.behind, 147);
  assert.equal(c.at(260), 113);
  assert.equal(c.realOf(113), 260);
  const after = [110, 200, 300].map((x) => c.realOf(x));
  after.forEach((t, i) => assert.equal(t, before[i] + 147));
  // Due at 140, looked at 300 (schedule 153): 13 late, set back 10 more.
  assert.equal(c.pace(300, 140), 143);
  assert.equal(c.behind, 157);
});
