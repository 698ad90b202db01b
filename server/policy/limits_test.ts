// The config limits: 422 naming the limit for a request that is too big, 429
// with Retry-After when running tests leave no room; through the API and the
// seed alias alike. Loopback only, bounded counts.
import assert from "node:assert/strict";
import type { Hono } from "hono";
import type { ProbeSettings } from "../../model/probe.ts";
import { postJson, withApiKit } from "../../testing/api_testkit.ts";
import { authConfigYaml, bearer } from "../../testing/auth_testkit.ts";
import { checkAdmission, checkRequestLimits, limitsSchema } from "./limits.ts";
import { DomainError, InvalidRequestError, LimitError } from "../errors.ts";
import { problemOf } from "../http/problem.ts";

const limits = limitsSchema.parse({
  min_interval_ms: 10,
  max_duration_s: 60,
  max_count: 1000,
  max_targets: 2,
  max_size: 100,
  max_concurrent_tests: 3,
  max_tests_per_user: 2,
  max_pps: 250,
});
const settings = (s: Partial<ProbeSettings>): ProbeSettings => ({
  interval_ms: 100,
  timeout_ms: 1000,
  size: 56,
  count: 10,
  ...s,
});

function refused(
  fn: () => void,
  status: number,
  field: string | undefined,
  re: RegExp,
) {
  try {
    fn();
    assert.fail("should throw");
  } catch (e) {
    const problem = problemOf(e);
    assert.ok(e instanceof DomainError && problem, String(e));
    assert.equal(problem.status, status);
    assert.equal(e.field, field);
    assert.match(e.message, re);
    return problem;
  }
}

Deno.test("422 limits name the limit", () => {
  const check = (s: Partial<ProbeSettings>, targets = 1) => () =>
    checkRequestLimits(settings(s), targets, limits);
  check({})();
  refused(
    check({}, 3),
    422,
    "targets",
    /at most 2 targets.*limits\.max_targets/,
  );
  refused(
    check({ interval_ms: 5 }),
    422,
    "interval_ms",
    /limits\.min_interval_ms/,
  );
  refused(
    check({ size: 101 }),
    422,
    "size",
    /at most 100 bytes \(limits\.max_size\)/,
  );
  refused(
    check({ count: undefined, duration_s: 61 }),
    422,
    "duration_s",
    /limits\.max_duration_s/,
  );
  // A count that would run longer than the longest duration is refused too.
  refused(check({ count: 700 }), 422, "count", /70 s, at most 60 s/);
  refused(
    check({ count: 1001, interval_ms: 10 }),
    422,
    "count",
    /limits\.max_count/,
  );
  check({ interval_ms: 10, count: 10 }, 2)(); // 200 probes/s <= 250
  refused(
    () =>
      checkRequestLimits(settings({ interval_ms: 10 }), 2, {
        ...limits,
        max_pps: 150,
      }),
    422,
    "interval_ms",
    /200 probes\/s, at most 150 \(limits\.max_pps\)/,
  );
});

Deno.test("429 admission: in total, per user, and the global probe rate; Retry-After", () => {
  const now = 1_000_000;
  const run = (who: string, s: Partial<ProbeSettings> = {}, targets = 1) => ({
    who,
    targets,
    settings: settings(s),
    startedAt: now - 500,
  });
  const next = { who: "c", targets: 1, settings: settings({}) };
  checkAdmission([run("a"), run("b")], next, limits, now);
  const full = refused(
    () => checkAdmission([run("a"), run("b"), run("a")], next, limits, now),
    429,
    undefined,
    /at most 3 tests may run at once \(limits\.max_concurrent_tests\)/,
  );
  // The soonest end: 10 probes × 100 ms + 1 s timeout, started 0.5 s ago.
  assert.equal(full.headers["retry-after"], "2");
  refused(
    () => checkAdmission([run("c"), run("c")], next, limits, now),
    429,
    undefined,
    /per user.*limits\.max_tests_per_user/,
  );
  const busy = refused(
    () =>
      checkAdmission(
        [run("a", { interval_ms: 10, duration_s: 30, count: undefined }, 2)],
        { ...next, settings: settings({ interval_ms: 10 }) },
        limits,
        now,
      ),
    429,
    undefined,
    /200 probes\/s; 100 more would exceed 250 \(limits\.max_pps\)/,
  );
  assert.equal(busy.headers["retry-after"], "31");
  // A running path test sends one probe per hop: 1 target × 20 hops / 100 ms.
  const path = { mode: "path" as const, max_hops: 20 };
  checkAdmission([run("a", { interval_ms: 100 })], next, limits, now);
  refused(
    () =>
      checkAdmission(
        [run("a", { interval_ms: 100, ...path })],
        { ...next, settings: settings({ interval_ms: 10 }) },
        limits,
        now,
      ),
    429,
    undefined,
    /200 probes\/s; 100 more would exceed 250/,
  );
  refused(
    () =>
      checkAdmission(
        [run("a", { interval_ms: 100 })],
        { ...next, settings: settings({ interval_ms: 50, ...path }) },
        limits,
        now,
      ),
    429,
    undefined,
    /10 probes\/s; 400 more would exceed 250 \(limits\.max_pps\) \(a path test probes every hop: 1 targets × 20 hops \(max_hops\) every 50 ms is 400 probes\/s\)/,
  );
});

const CONFIG = `
servers:
  - { id: localhost-v4, name: L4, host: 127.0.0.1 }
  - { id: localhost-v6, name: L6, host: "::1" }
auth: { mode: open }
limits: { max_concurrent_tests: 1, max_size: 64, max_pps: 150 }
`;

const LONG = {
  targets: ["localhost-v4"],
  interval_ms: 100,
  duration_s: 30,
  timeout_ms: 200,
};

async function stopAll(app: Hono, ids: string[]) {
  for (const id of ids) {
    await (await app.request(`/api/tests/${id}/stop`, { method: "POST" })).body
      ?.cancel();
  }
}

Deno.test("API and seed alias: 422 past a limit, 429 with Retry-After when full; nothing started", async () => {
  await withApiKit(async ({ app, runner }) => {
    for (const path of ["/api/tests", "/start_test"]) {
      const big = await postJson(app, path, { ...LONG, size: 65 });
      assert.equal(big.status, 422, path);
      assert.match((await big.json()).detail, /limits\.max_size/);
      const fast = await postJson(app, path, {
        ...LONG,
        targets: ["localhost-v4", "localhost-v6"],
        interval_ms: 10,
      });
      assert.equal(fast.status, 422, path);
      assert.match((await fast.json()).detail, /limits\.max_pps/);
    }
    assert.deepEqual(await runner.list(), []);
    const first = await postJson(app, "/api/tests", LONG);
    assert.equal(first.status, 201);
    const { id } = await first.json();
    for (const path of ["/api/tests", "/start_test"]) {
      const res = await postJson(app, path, {
        ...LONG,
        targets: ["localhost-v6"],
      });
      assert.equal(res.status, 429, path);
      assert.ok(Number(res.headers.get("retry-after")) >= 1);
      assert.match((await res.json()).detail, /limits\.max_concurrent_tests/);
    }
    assert.equal((await runner.list()).length, 1);
    await stopAll(app, [id]);
    await runner.finished(id);
  }, { configYaml: CONFIG });
});

Deno.test("per-user concurrency counts each signed-in user separately", async () => {
  const yaml = await authConfigYaml(
    "limits: { max_tests_per_user: 1, max_concurrent_tests: 3 }\n",
  );
  await withApiKit(async ({ app, runner }) => {
    const start = (role: "operator" | "admin") =>
      app.request("/api/tests", {
        method: "POST",
        body: JSON.stringify(LONG),
        headers: { ...bearer(role), "content-type": "application/json" },
      });
    const a = await start("operator");
    assert.equal(a.status, 201);
    const again = await start("operator");
    assert.equal(again.status, 429);
    assert.match(
      (await again.json()).detail,
      /limits\.max_tests_per_user.*olga has 1/,
    );
    assert.ok(again.headers.get("retry-after"));
    const b = await start("admin");
    assert.equal(b.status, 201);
    const ids = [(await a.json()).id, (await b.json()).id];
    for (const id of ids) await runner.stop(id);
    for (const id of ids) await runner.finished(id);
  }, { configYaml: yaml });
});

Deno.test("max_pps counts the monitors: 422 when they alone leave too little, 429 with running tests", () => {
  const limits = limitsSchema.parse({ max_pps: 100 });
  const s = (interval_ms: number) => ({
    interval_ms,
    count: 10,
    timeout_ms: 1000,
    size: 56,
  });
  const next = { who: "u", targets: 1, settings: s(20) }; // 50 probes/s
  checkAdmission([], next, limits, Date.now(), 50);
  assert.throws(
    () => checkAdmission([], next, limits, Date.now(), 51),
    (e: Error) =>
      e instanceof InvalidRequestError &&
      /monitors send 51 probes\/s/.test(e.message),
  );
  assert.throws(
    () =>
      checkAdmission(
        [{ who: "v", targets: 1, settings: s(100), startedAt: Date.now() }],
        next,
        limits,
        Date.now(),
        45,
      ),
    (e: Error) =>
      e instanceof LimitError &&
      /running tests send 10 probes\/s and monitors 45/.test(e.message),
  );
});
