import assert from "node:assert/strict";
import { type HubEvent, type HubEventType, TestHub } from "./hub.ts";

/** Publishes test data of any shape (the hub does not look at it). */
const pub = (h: TestHub, type: HubEventType, data: unknown) =>
  h.publish(type, data as never);

async function drain(it: AsyncIterable<HubEvent>): Promise<HubEvent[]> {
  const out: HubEvent[] = [];
  for await (const ev of it) out.push(ev);
  return out;
}

Deno.test("ids increase from 1 and the log replays everything", async () => {
  const hub = new TestHub();
  pub(hub, "status", { status: "running" });
  pub(hub, "probe", { index: 0 });
  const sub = hub.subscribe();
  pub(hub, "interval", { sent: 1 });
  pub(hub, "end", {});
  const got = await drain(sub);
  assert.deepEqual(got.map((e) => [e.id, e.type]), [
    [1, "status"],
    [2, "probe"],
    [3, "interval"],
    [4, "end"],
  ]);
  assert.equal(hub.ended, true);
  assert.equal(hub.subscribers, 0);
  assert.throws(() => pub(hub, "probe", {}), /ended/);
});

Deno.test("replay starts after the given Last-Event-ID, then live events", async () => {
  const hub = new TestHub();
  for (let i = 0; i < 5; i++) pub(hub, "probe", { i });
  const sub = hub.subscribe({ after: 3 });
  const first = await sub.next();
  assert.equal(first?.id, 4);
  const pending = sub.next().then(() => sub.next());
  pub(hub, "summary", {});
  assert.equal((await pending)?.id, 6);
  pub(hub, "end", {});
  assert.equal((await sub.next())?.type, "end");
  assert.equal(await sub.next(), null);
});

Deno.test("subscribing after the end replays and finishes", async () => {
  const hub = new TestHub();
  pub(hub, "status", {});
  pub(hub, "end", {});
  assert.deepEqual((await drain(hub.subscribe())).map((e) => e.id), [1, 2]);
  assert.deepEqual(await drain(hub.subscribe({ after: 2 })), []);
  assert.deepEqual(hub.events(1).map((e) => e.id), [2]);
});

Deno.test("a slow subscriber is dropped when its buffer overflows; others go on", async () => {
  const hub = new TestHub();
  const slow = hub.subscribe({ maxBuffer: 3 });
  const fast = hub.subscribe({ maxBuffer: 3 });
  const fastGot: number[] = [];
  const reader = (async () => {
    for await (const ev of fast) fastGot.push(ev.id);
  })();
  for (let i = 0; i < 10; i++) {
    pub(hub, "probe", { i });
    await Promise.resolve();
    await new Promise((r) => setTimeout(r, 0));
  }
  pub(hub, "end", {});
  await reader;
  assert.equal(slow.dropped, true);
  assert.equal(await slow.next(), null);
  assert.equal(fast.dropped, false);
  assert.deepEqual(fastGot, [...Array(11).keys()].map((i) => i + 1));
});

Deno.test("close() ends a waiting next()", async () => {
  const hub = new TestHub();
  const sub = hub.subscribe();
  const p = sub.next();
  sub.close();
  assert.equal(await p, null);
  assert.equal(hub.subscribers, 0);
});

Deno.test("only the newest events stay in memory; older ones replay from the backfill", async () => {
  const stored: HubEvent[] = [];
  const calls: [number, number][] = [];
  const hub = new TestHub({
    keep: 3,
    backfill: (after, upTo) => {
      calls.push([after, upTo]);
      return Promise.resolve(
        stored.filter((e) => e.id > after && e.id <= upTo),
      );
    },
  });
  const publish = (i: number) => stored.push(pub(hub, "probe", { i }));
  for (let i = 0; i < 10; i++) publish(i);
  assert.ok(hub.retained < 6, `${hub.retained} events in memory`);
  const early = hub.subscribe({ after: 2 });
  const all = hub.subscribe();
  for (let i = 10; i < 20; i++) publish(i); // trims while they replay
  stored.push(pub(hub, "end", {}));
  assert.deepEqual(
    (await drain(all)).map((e) => e.id),
    [...Array(22).keys()].slice(1),
  );
  assert.deepEqual(
    (await drain(early)).map((e) => e.id),
    [...Array(22).keys()].slice(3),
  );
  assert.ok(calls.length > 0 && calls.every(([a, b]) => a < b));
  // Everything trimmed: a late subscriber replays it all from storage.
  hub.trim(0);
  assert.equal(hub.retained, 0);
  assert.equal((await drain(hub.subscribe({ after: 15 }))).length, 6);
});

Deno.test("a hole in the backfilled events ends the stream instead of skipping", async () => {
  const hub = new TestHub({
    keep: 1,
    backfill: () =>
      Promise.resolve([{ id: 2, type: "probe", data: {} as never }]),
  });
  for (let i = 0; i < 5; i++) pub(hub, "probe", { i });
  const sub = hub.subscribe();
  assert.equal(await sub.next(), null);
});

Deno.test("events published while a reader replays from the store follow in order", async () => {
  const stored: HubEvent[] = [];
  const hub = new TestHub({
    keep: 2,
    backfill: (after, upTo) =>
      Promise.resolve(stored.filter((e) => e.id > after && e.id <= upTo)),
  });
  const publish = () => stored.push(pub(hub, "probe", {}));
  for (let i = 0; i < 6; i++) publish();
  const sub = hub.subscribe();
  assert.equal((await sub.next())?.id, 1); // from the backfill
  for (let i = 0; i < 6; i++) publish(); // not seen yet: queued live
  const ids = [1];
  for (let ev = await sub.next(); ev && ev.id < 12; ev = await sub.next()) {
    ids.push(ev.id);
  }
  assert.deepEqual(ids, [...Array(11).keys()].map((i) => i + 1));
});

Deno.test("follow: after the replay, live events go straight to the sink, in order, until closed", async () => {
  const hub = new TestHub();
  for (let i = 0; i < 3; i++) pub(hub, "probe", { i });
  const sub = hub.subscribe();
  const got: number[] = [];
  const sink = (ev: HubEvent) => got.push(ev.id);
  assert.equal(sub.follow(sink), false, "replay not read yet");
  for (let i = 0; i < 3; i++) assert.equal(sub.poll()?.id, i + 1);
  pub(hub, "probe", { i: 3 });
  assert.equal(sub.follow(sink), false, "an event is queued");
  assert.equal((await sub.next())?.id, 4);
  assert.equal(sub.poll(), undefined);
  assert.equal(sub.follow(sink), true);
  pub(hub, "probe", { i: 4 });
  pub(hub, "probe", { i: 5 });
  assert.deepEqual(got, [5, 6]);
  assert.equal(sub.buffered, 0);
  sub.close();
  pub(hub, "end", {});
  assert.deepEqual(got, [5, 6]);
  assert.equal(hub.subscribers, 0);
});
