import assert from "node:assert/strict";
import type { AlertEvent } from "../../model/monitor.ts";
import { AlertService } from "./alert_service.ts";
import { KvAlertStore } from "./kv_alert_store.ts";
import type { RetryPolicy } from "./notifier.ts";
import {
  point,
  receiver,
  spec,
  T0,
  tempKvPath,
  until,
} from "./alert_testkit.ts";

const GW = { id: "gw", name: "Gateway" };
const ADDR = "198.18.0.2";
const FAST: Partial<RetryPolicy> = { baseMs: 100, timeoutMs: 300 };

async function open(
  path: string,
  url: string,
  o: { retry?: Partial<RetryPolicy>; events?: AlertEvent[] } = {},
) {
  const kv = await Deno.openKv(path);
  const svc = new AlertService({
    store: new KvAlertStore(kv),
    notify: [{ id: "ops", type: "webhook", url }],
    publicBase: "https://pla.example.net/",
    onEvent: (ev) => o.events?.push(ev),
    retry: { ...FAST, ...o.retry },
  });
  await svc.start();
  return {
    svc,
    kv,
    async close() {
      await svc.close();
      kv.close();
    },
  };
}

const mon = spec("gw-watch", [
  { name: "loss", loss_pct_above: 5, for_steps: 3 },
  { name: "down", loss_pct_above: 99, for_steps: 2, notify: ["ops"] },
]);

Deno.test("service: an outage sends exactly one firing and one resolved webhook, with the exact body", async () => {
  const rx = receiver();
  const path = await tempKvPath();
  const events: AlertEvent[] = [];
  const a = await open(path, rx.url, { events });
  try {
    const losses = [0, 0, 100, 100, 100, 100, 100, 0, 100, 0, 0, 0, 0];
    losses.forEach((l, i) =>
      a.svc.observe(mon, GW, ADDR, point(i, { loss: l }))
    );
    assert.deepEqual(
      events.map((e) => [e.alert, e.state]),
      [["down", "firing"], ["loss", "firing"], ["down", "ok"], ["loss", "ok"]],
    );
    await a.svc.flush();
    await until(() => rx.hits.length >= 2, 5000, "two webhooks");
    await new Promise((r) => setTimeout(r, 300)); // nothing more comes
    assert.equal(rx.hits.length, 2);
    const [fire, resolve] = rx.hits.map((h) => h.body);
    assert.deepEqual(fire, {
      monitor: "gw-watch",
      server: "gw",
      address: ADDR,
      alert: "down",
      state: "firing",
      value: 100,
      threshold: 99,
      since: new Date(T0 + 2000).toISOString(),
      url: "https://pla.example.net/monitors/gw-watch",
      text:
        `[FIRING] gw-watch/down: loss 100% > 99% on Gateway (${ADDR}), since ${
          new Date(T0 + 2000).toISOString()
        } https://pla.example.net/monitors/gw-watch`,
    });
    // Fired at the end of step 3; resolved at the second good step (10).
    assert.equal(resolve.state, "resolved");
    assert.equal(resolve.value, 0);
    assert.equal(resolve.since, new Date(T0 + 4000).toISOString());
    assert.equal(
      resolve.text,
      `[RESOLVED] gw-watch/down: loss 0% <= 99% on Gateway (${ADDR}), firing since ${
        new Date(T0 + 4000).toISOString()
      } https://pla.example.net/monitors/gw-watch`,
    );
    // The history holds all four, newest first; one attempt each for "down".
    const page = await a.svc.list({ limit: 10 });
    assert.deepEqual(
      page.alerts.map((e) => [e.alert, e.state]),
      [["loss", "ok"], ["down", "ok"], ["loss", "firing"], ["down", "firing"]],
    );
    const firingDown = page.alerts[3];
    await until(() => a.svc.notifier.pendingCount === 0, 2000, "done");
    const d = await a.svc.deliveries(firingDown.id);
    assert.deepEqual(d?.map((r) => [r.notify, r.attempt, r.ok, r.status]), [[
      "ops",
      1,
      true,
      200,
    ]]);
    assert.deepEqual(await a.svc.deliveries(page.alerts[2].id), []); // loss has no notify
    assert.equal(await a.svc.deliveries("0000000000000deadbeef"), null);
  } finally {
    await a.close();
    await rx.close();
  }
});

Deno.test("service: a restart keeps the firing state, and resolves correctly afterwards", async () => {
  const rx = receiver();
  const path = await tempKvPath();
  let a = await open(path, rx.url);
  try {
    [0, 1, 2].forEach((i) =>
      a.svc.observe(mon, GW, ADDR, point(i, { loss: 100 }))
    );
    // A bad streak in progress (1 of 3) of another monitor is stored too.
    const m2 = spec("m2", [{ name: "l", loss_pct_above: 5, for_steps: 3 }]);
    a.svc.observe(m2, GW, ADDR, point(0, { loss: 50 }));
    assert.deepEqual(a.svc.firing("gw-watch"), ["down", "loss"]);
    // The firing webhook delivered and recorded before the close (a close
    // aborts a request in flight: it would be sent again after the restart).
    await until(() => rx.hits.length === 1, 5000, "firing");
    const fired = (await a.svc.list({ limit: 1 })).alerts[0];
    for (let i = 0; i < 200; i++) {
      if ((await a.svc.deliveries(fired.id))?.length) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    await a.close();

    const events: AlertEvent[] = [];
    a = await open(path, rx.url, { events });
    assert.deepEqual(a.svc.firing("gw-watch"), ["down", "loss"]);
    assert.deepEqual(a.svc.firing("m2"), []);
    // m2's streak went on: 2 more contiguous bad steps make 3, since step 0.
    a.svc.observe(m2, GW, ADDR, point(1, { loss: 50 }));
    a.svc.observe(m2, GW, ADDR, point(2, { loss: 50 }));
    assert.deepEqual(a.svc.firing("m2"), ["l"]);
    assert.equal(events.shift()?.since, new Date(T0).toISOString());
    // Still bad after the restart: no new firing event.
    a.svc.observe(mon, GW, ADDR, point(3, { loss: 100 }));
    assert.equal(events.length, 0);
    // Two good steps resolve "down" only, three "loss".
    [4, 5].forEach((i) => a.svc.observe(mon, GW, ADDR, point(i, { loss: 0 })));
    assert.deepEqual(events.map((e) => [e.alert, e.state]), [["down", "ok"]]);
    a.svc.observe(mon, GW, ADDR, point(6, { loss: 0 }));
    assert.deepEqual(events.map((e) => [e.alert, e.state]), [["down", "ok"], [
      "loss",
      "ok",
    ]]);
    // Resolved since = when it fired, before the restart (end of step 2).
    assert.equal(events[1].since, new Date(T0 + 3000).toISOString());
    assert.deepEqual(a.svc.firing("gw-watch"), []);
    await until(() => rx.hits.length === 2, 5000, "firing and resolved");
    assert.deepEqual(rx.hits.map((h) => h.body.state), ["firing", "resolved"]);
  } finally {
    await a.close();
    await rx.close();
  }
});

Deno.test("service: retries with back-off against a receiver that fails twice, each attempt recorded", async () => {
  const rx = receiver((n) => n <= 2 ? 500 : 200);
  const a = await open(await tempKvPath(), rx.url, { retry: { baseMs: 200 } });
  try {
    [0, 1].forEach((i) =>
      a.svc.observe(mon, GW, ADDR, point(i, { loss: 100 }))
    );
    await until(() => rx.hits.length === 3, 5000, "three attempts");
    const gaps = [rx.hits[1].at - rx.hits[0].at, rx.hits[2].at - rx.hits[1].at];
    assert.ok(
      gaps[0] >= 190 && gaps[0] < 600,
      `first back-off ${gaps[0]} ms, want 200`,
    );
    assert.ok(
      gaps[1] >= 390 && gaps[1] < 1000,
      `second back-off ${gaps[1]} ms, want 400`,
    );
    const [ev] = (await a.svc.list({ limit: 1 })).alerts;
    await until(() => a.svc.notifier.pendingCount === 0, 2000, "done");
    const d = await a.svc.deliveries(ev.id);
    assert.deepEqual(
      d?.map((r) => [r.attempt, r.ok, r.status, r.error]),
      [[1, false, 500, "HTTP 500"], [2, false, 500, "HTTP 500"], [
        3,
        true,
        200,
        null,
      ]],
    );
    assert.deepEqual(rx.hits[0].body, rx.hits[2].body);
  } finally {
    await a.close();
    await rx.close();
  }
});

Deno.test("service: a hanging webhook never delays observe() and times out per attempt", async () => {
  const rx = receiver(() => "hang");
  const a = await open(await tempKvPath(), rx.url, {
    retry: { timeoutMs: 200, baseMs: 50, maxAttempts: 2 },
  });
  try {
    [0, 1].forEach((i) =>
      a.svc.observe(mon, GW, ADDR, point(i, { loss: 100 }))
    );
    await until(() => rx.hits.length === 1, 2000, "the first attempt");
    // While the receiver hangs: every observe() returns at once.
    let worst = 0;
    for (let i = 2; i < 200; i++) {
      const t = performance.now();
      a.svc.observe(mon, GW, ADDR, point(i, { loss: 100 }));
      worst = Math.max(worst, performance.now() - t);
    }
    assert.ok(worst < 10, `observe took ${worst} ms`);
    await until(
      () => a.svc.notifier.pendingCount === 0 && rx.hits.length >= 2,
      3000,
      "give up",
    );
    const all = (await a.svc.list({ limit: 200, monitor: "gw-watch" })).alerts;
    const first = all[all.length - 1];
    const d = await a.svc.deliveries(first.id);
    assert.deepEqual(
      d?.map((r) => [r.attempt, r.ok, r.status, r.error]),
      [[1, false, null, "timed out after 200 ms"], [
        2,
        false,
        null,
        "timed out after 200 ms",
      ]],
    );
  } finally {
    await a.close();
    await rx.close();
  }
});

Deno.test("service: pending deliveries resume after a restart", async () => {
  // The first attempt fails; the service stops before the retry.
  const rx = receiver((n) => n === 1 ? 503 : 200);
  const path = await tempKvPath();
  let a = await open(path, rx.url, { retry: { baseMs: 400 } });
  try {
    [0, 1].forEach((i) =>
      a.svc.observe(mon, GW, ADDR, point(i, { loss: 100 }))
    );
    await until(() => rx.hits.length === 1, 2000, "the first attempt");
    await new Promise((r) => setTimeout(r, 50));
    await a.close();
    assert.equal(rx.hits.length, 1);
    await new Promise((r) => setTimeout(r, 500)); // the retry would have been due
    assert.equal(rx.hits.length, 1);

    a = await open(path, rx.url);
    assert.equal(a.svc.notifier.pendingCount, 1);
    await until(() => rx.hits.length === 2, 3000, "the resumed attempt");
    await until(() => a.svc.notifier.pendingCount === 0, 2000, "done");
    const [ev] = (await a.svc.list({ limit: 1 })).alerts;
    const d = await a.svc.deliveries(ev.id);
    assert.deepEqual(d?.map((r) => [r.attempt, r.status, r.ok]), [[
      1,
      503,
      false,
    ], [2, 200, true]]);
    assert.deepEqual(rx.hits[1].body, rx.hits[0].body);
  } finally {
    await a.close();
    await rx.close();
  }
});

Deno.test("service: a pending delivery older than the max age at start is given up unsent, and recorded", async () => {
  const rx = receiver((n) => n === 1 ? 503 : 200);
  const path = await tempKvPath();
  const retry = { baseMs: 300, maxAgeMs: 600 };
  let a = await open(path, rx.url, { retry });
  try {
    [0, 1].forEach((i) =>
      a.svc.observe(mon, GW, ADDR, point(i, { loss: 100 }))
    );
    await until(() => rx.hits.length === 1, 2000, "the first attempt");
    // Its 503 recorded before the close (a close aborts a request in flight,
    // which then stays pending unrecorded).
    const first = (await a.svc.list({ limit: 1 })).alerts[0];
    for (let i = 0; i < 200; i++) {
      if ((await a.svc.deliveries(first.id))?.length) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    await a.close();
    await new Promise((r) => setTimeout(r, 700));
    a = await open(path, rx.url, { retry });
    await until(() => a.svc.notifier.pendingCount === 0, 2000, "given up");
    assert.equal(rx.hits.length, 1);
    const [ev] = (await a.svc.list({ limit: 1 })).alerts;
    const d = await a.svc.deliveries(ev.id);
    assert.deepEqual(d?.map((r) => [r.attempt, r.ok, r.status]), [[
      1,
      false,
      503,
    ], [2, false, null]]);
    assert.match(d![1].error!, /^given up unsent/);
  } finally {
    await a.close();
    await rx.close();
  }
});

Deno.test("service: firingGauge lists every rule; dropped rules and forgotten monitors go", async () => {
  const rx = receiver();
  const a = await open(await tempKvPath(), rx.url);
  try {
    [0, 1].forEach((i) =>
      a.svc.observe(mon, GW, ADDR, point(i, { loss: 100 }))
    );
    assert.deepEqual(a.svc.firingGauge(), [
      { monitor: "gw-watch", alert: "down", firing: true },
      { monitor: "gw-watch", alert: "loss", firing: false },
    ]);
    const fewer = spec("gw-watch", [{
      name: "loss",
      loss_pct_above: 5,
      for_steps: 3,
    }]);
    a.svc.observe(fewer, GW, ADDR, point(2, { loss: 100 }));
    assert.deepEqual(a.svc.firing("gw-watch"), ["loss"]);
    a.svc.forget("gw-watch");
    assert.deepEqual(a.svc.firingGauge(), []);
    await a.svc.flush();
    assert.deepEqual(await a.svc.store.states(), []);
  } finally {
    await a.close();
    await rx.close();
  }
});
