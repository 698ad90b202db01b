// The AlertStore contract, run on every implementation (the KV file in
// kv_alert_store_test.ts, PostgreSQL in pg_alert_store_test.ts): ids,
// rule states, events with their pending webhooks, the history listing
// (filters, cursor, newest first), delivery attempts.
import assert from "node:assert/strict";
import type { AlertEvent, DeliveryRecord } from "../../model/monitor.ts";
import { MalformedRequestError } from "../errors.ts";
import { initialState, type RuleState } from "./alert_evaluator.ts";
import {
  ALERT_EVENT_ID,
  type AlertQuery,
  type AlertStore,
  type Pending,
} from "./alert_store.ts";
import { T0 } from "./alert_testkit.ts";

export interface AlertStoreKit {
  store: AlertStore;
  /** Another instance on the same storage (what a restart opens). */
  again(): AlertStore;
  close(): Promise<void>;
}

const firing = (since: number): RuleState => ({
  state: "firing",
  streak: 0,
  streak_since: null,
  fired_at: since + 2000,
  last_t: since + 1000,
});

export function alertEvent(
  id: string,
  monitor: string,
  state: "ok" | "firing",
  at = T0,
): AlertEvent {
  return {
    id,
    monitor,
    server: "gw",
    address: "192.0.2.1",
    alert: "down",
    state,
    metric: "loss_pct",
    value: state === "firing" ? 100 : 0,
    threshold: 99,
    since: new Date(at - 60_000).toISOString(),
    at: new Date(at).toISOString(),
  };
}

export function pendingOf(ev: AlertEvent, notify: string): Pending {
  return {
    event: ev,
    notify: {
      id: notify,
      type: "webhook",
      url: `http://127.0.0.1:9/${notify}`,
    },
    server_name: "Gateway",
    link: `/monitors/${ev.monitor}`,
    attempts: 0,
    due: T0,
    queued: T0,
  };
}

const record = (
  ev: string,
  notify: string,
  attempt: number,
  ok: boolean,
): DeliveryRecord => ({
  alert_event: ev,
  notify,
  attempt,
  at: new Date(T0 + attempt * 1000).toISOString(),
  ok,
  status: ok ? 200 : 500,
  error: ok ? null : "HTTP 500",
});

/** Every page of a query, following the cursors. */
async function allPages(store: AlertStore, q: AlertQuery) {
  const ids: string[] = [];
  const sizes: number[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 1000; i++) {
    const page = await store.list({ ...q, cursor });
    ids.push(...page.alerts.map((a) => a.id));
    sizes.push(page.alerts.length);
    if (page.next_cursor === null) return { ids, sizes };
    assert.match(page.next_cursor, ALERT_EVENT_ID);
    cursor = page.next_cursor;
  }
  throw new Error("the cursors never end");
}

export function alertStoreSuite(
  name: string,
  open: () => Promise<AlertStoreKit>,
): void {
  const test = (what: string, fn: (kit: AlertStoreKit) => Promise<void>) =>
    Deno.test(`${name}: ${what}`, async () => {
      const kit = await open();
      try {
        await fn(kit);
      } finally {
        await kit.close();
      }
    });

  test("newId: the id form, in creation order within and across milliseconds", ({ store }) => {
    const ids = [
      store.newId(T0),
      store.newId(T0),
      store.newId(T0 - 5), // a clock step back still sorts after
      store.newId(T0 + 1),
      store.newId(T0 + 1000),
    ];
    for (const id of ids) assert.match(id, ALERT_EVENT_ID);
    assert.deepEqual([...ids].sort(), ids);
    assert.equal(new Set(ids).size, ids.length);
    return Promise.resolve();
  });

  test("rule states: put, replaced, listed by monitor and rule, deleted", async ({ store, again }) => {
    assert.deepEqual(await store.states(), []);
    const s1 = { ...initialState(), streak: 2, streak_since: T0, last_t: T0 };
    await store.putState("m2", "loss", s1);
    await store.putState("m1", "slow", initialState());
    await store.putState("m1", "down", firing(T0));
    await store.putState("m2", "loss", { ...s1, streak: 3 });
    assert.deepEqual(await again().states(), [
      { monitor: "m1", rule: "down", state: firing(T0) },
      { monitor: "m1", rule: "slow", state: initialState() },
      { monitor: "m2", rule: "loss", state: { ...s1, streak: 3 } },
    ]);
    await store.deleteState("m1", "down");
    await store.deleteState("m1", "nope");
    assert.deepEqual(
      (await store.states()).map((s) => `${s.monitor}/${s.rule}`),
      ["m1/slow", "m2/loss"],
    );
  });

  test("putEvent: the state, the event and its pending webhooks together", async ({ store, again }) => {
    const id = store.newId(T0);
    const ev = alertEvent(id, "m1", "firing");
    const p = [pendingOf(ev, "ops"), pendingOf(ev, "chat")];
    await store.putEvent("m1", "down", firing(T0), ev, p);
    const other = again();
    assert.deepEqual(await other.event(id), ev);
    assert.deepEqual(await other.states(), [
      { monitor: "m1", rule: "down", state: firing(T0) },
    ]);
    assert.deepEqual(
      (await other.pending()).sort((a, b) =>
        a.notify.id.localeCompare(b.notify.id)
      ),
      [p[1], p[0]],
    );
    assert.equal(await other.event(store.newId(T0 + 1)), null);
    // No webhooks: just the state and the event.
    const id2 = store.newId(T0 + 5000);
    const ev2 = alertEvent(id2, "m1", "ok", T0 + 5000);
    await store.putEvent("m1", "down", initialState(), ev2, []);
    assert.deepEqual(await other.event(id2), ev2);
    assert.deepEqual((await other.states())[0].state, initialState());
    assert.equal((await other.pending()).length, 2);
  });

  test("list: newest first, by monitor and state, every event once through the cursors", async ({ store }) => {
    const all: AlertEvent[] = [];
    for (let i = 0; i < 25; i++) {
      const at = T0 + i * 1000;
      const ev = alertEvent(
        store.newId(at),
        i % 3 === 0 ? "m-a" : "m-b",
        i % 2 === 0 ? "firing" : "ok",
        at,
      );
      all.push(ev);
      await store.putEvent(ev.monitor, ev.alert, initialState(), ev, []);
    }
    const newest = [...all].reverse();
    const first = await store.list({ limit: 4 });
    assert.deepEqual(first.alerts, newest.slice(0, 4));
    assert.equal(first.next_cursor, newest[3].id);
    const want = (f: (e: AlertEvent) => boolean) =>
      newest.filter(f).map((e) => e.id);
    const queries: Omit<AlertQuery, "limit">[] = [
      {},
      { monitor: "m-a" },
      { monitor: "m-b" },
      { state: "firing" },
      { monitor: "m-a", state: "ok" },
    ];
    for (const q of queries) {
      for (const limit of [1, 4, 100]) {
        const { ids, sizes } = await allPages(store, { ...q, limit });
        assert.deepEqual(
          ids,
          want((e) =>
            (q.monitor === undefined || e.monitor === q.monitor) &&
            (q.state === undefined || e.state === q.state)
          ),
          `${JSON.stringify(q)} limit ${limit}`,
        );
        assert.ok(sizes.every((n) => n <= limit));
      }
    }
    // Exactly a page: no cursor to an empty page.
    assert.equal((await store.list({ limit: 25 })).next_cursor, null);
    assert.deepEqual(await store.list({ monitor: "m-none", limit: 5 }), {
      alerts: [],
      next_cursor: null,
    });
    await assert.rejects(
      () => store.list({ limit: 5, cursor: "not-a-cursor" }),
      (e) => e instanceof MalformedRequestError && /cursor/.test(e.message),
    );
  });

  test("recordAttempt: attempts by target then number; pending kept with the next try, dropped when done", async ({ store, again }) => {
    const id = store.newId(T0);
    const ev = alertEvent(id, "m1", "firing");
    const ops = pendingOf(ev, "ops");
    const chat = pendingOf(ev, "chat");
    await store.putEvent("m1", "down", firing(T0), ev, [ops, chat]);
    // Attempts 1..10 to ops, failing until the 10th (numbers sort as numbers).
    for (let a = 1; a <= 10; a++) {
      const next = a < 10 ? { ...ops, attempts: a, due: T0 + a * 1000 } : null;
      await store.recordAttempt(record(id, "ops", a, a === 10), next);
      if (a === 3) {
        assert.deepEqual(
          (await again().pending()).find((p) => p.notify.id === "ops"),
          next,
        );
      }
    }
    await store.recordAttempt(record(id, "chat", 1, false), {
      ...chat,
      attempts: 1,
    });
    assert.deepEqual(await again().pending(), [{ ...chat, attempts: 1 }]);
    const recs = await again().deliveries(id);
    assert.deepEqual(recs, [
      record(id, "chat", 1, false),
      ...Array.from(
        { length: 10 },
        (_, k) => record(id, "ops", k + 1, k === 9),
      ),
    ]);
    await store.recordAttempt(record(id, "chat", 2, true), null);
    assert.deepEqual(await store.pending(), []);
    assert.equal((await store.deliveries(id)).length, 12);
    assert.deepEqual(await store.deliveries(store.newId(T0 + 9)), []);
  });
}
