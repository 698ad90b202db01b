import assert from "node:assert/strict";
import { MemoryAgentBus } from "./memory_agent_bus.ts";
import type { AgentDone } from "../../model/agent.ts";
import type { ProbeRecord } from "../../model/probe.ts";

const rec = (index: number): ProbeRecord => ({
  target: "t@lab",
  address: "127.0.0.1",
  index,
  seq: index + 1,
  sent_at: 1_700_000_000_000 + index,
  rtt_ms: 0.1,
  status: "ok",
  ttl: 64,
  ts_source: "kernel",
});

function setup() {
  let now = 1000;
  const bus = new MemoryAgentBus({ offlineAfterMs: 1000 }, () => now);
  const got: number[] = [];
  const ends: AgentDone[] = [];
  bus.assign("lab", {
    test_id: "t1",
    run_key: "k1",
    targets: [{ target: "t@lab", host: "127.0.0.1" }],
    settings: { interval_ms: 10, timeout_ms: 100, size: 56, count: 5 },
  }, {
    records: (rs) => got.push(...rs.map((r) => r.index)),
    done: (d) => ends.push(d),
  });
  return { bus, got, ends, tick: (ms: number) => now += ms };
}

const poll = (agent: string, site: string, running: string[] = []) => ({
  agent,
  site,
  version: "1",
  running,
});

Deno.test("agent bus: work goes to one agent of the site, and again only if it was lost on the way", async () => {
  const { bus } = setup();
  assert.deepEqual((await bus.take(poll("x", "other"), 0)).assignments, []);
  const first = await bus.take(poll("a", "lab"), 0);
  assert.deepEqual(first.assignments.map((a) => a.run_key), ["k1"]);
  // Claimed by a: b of the same site does not get it.
  assert.deepEqual((await bus.take(poll("b", "lab"), 0)).assignments, []);
  // a did not list it (the answer was lost): sent again.
  assert.equal((await bus.take(poll("a", "lab"), 0)).assignments.length, 1);
  // Listed as running: not again; a cancellation reaches it.
  assert.equal(
    (await bus.take(poll("a", "lab", ["k1"]), 0)).assignments.length,
    0,
  );
  bus.cancel("k1");
  assert.deepEqual(
    (await bus.take(poll("a", "lab", ["k1"]), 0)).cancellations,
    [{ run_key: "k1" }],
  );
  // A run the service no longer has is cancelled too.
  assert.deepEqual(
    (await bus.take(poll("a", "lab", ["gone"]), 0)).cancellations.at(-1),
    { run_key: "gone" },
  );
});

Deno.test("agent bus: records are stored once, in order; gaps store nothing", async () => {
  const { bus, got, ends } = setup();
  await bus.take(poll("a", "lab"), 0);
  assert.deepEqual(bus.deliver("a", "k1", 1, [rec(0), rec(1)]), {
    kind: "acked",
    acked: 2,
    closed: false,
  });
  // A resend overlapping what is stored (the ack was lost): only the new one.
  assert.deepEqual(bus.deliver("a", "k1", 2, [rec(1), rec(2)]), {
    kind: "acked",
    acked: 3,
    closed: false,
  });
  // A gap: nothing stored, the expected seq in the answer.
  assert.deepEqual(bus.deliver("a", "k1", 5, [rec(4)]), {
    kind: "gap",
    acked: 3,
    closed: false,
  });
  // Another agent cannot write into a's run.
  assert.deepEqual(bus.deliver("b", "k1", 4, [rec(3)]), { kind: "unknown" });
  // The end waits for every record before it.
  bus.deliver("a", "k1", 4, [], { seq: 5, stopped: false });
  assert.equal(ends.length, 0);
  assert.deepEqual(
    bus.deliver("a", "k1", 4, [rec(3), rec(4)], { seq: 5, stopped: false }),
    { kind: "acked", acked: 5, closed: true },
  );
  // Sent again after the end: acknowledged, nothing stored twice.
  bus.deliver("a", "k1", 4, [rec(3), rec(4)], { seq: 5, stopped: false });
  assert.deepEqual(got, [0, 1, 2, 3, 4]);
  assert.equal(ends.length, 1);
  bus.close("k1");
  assert.deepEqual(bus.deliver("a", "k1", 6, [rec(5)]), { kind: "unknown" });
});

Deno.test("agent bus: online while polling or lately seen; a run started and then forgotten ends", async () => {
  const { bus, ends, tick } = setup();
  assert.equal(bus.siteOnline("lab"), false);
  await bus.take(poll("a", "lab"), 0); // claims k1
  tick(5000);
  assert.equal(bus.siteOnline("lab"), false);
  const ac = new AbortController();
  const held = bus.take(poll("a", "lab", ["k1"]), 60_000, ac.signal);
  tick(5000);
  assert.equal(bus.siteOnline("lab"), true, "a held poll is online");
  ac.abort();
  await held;
  assert.equal(bus.siteOnline("lab"), true);
  tick(999);
  assert.equal(bus.runState("k1").online, true);
  tick(2);
  assert.equal(bus.siteOnline("lab"), false);
  assert.deepEqual(bus.agents().map((a) => [a.name, a.online]), [["a", false]]);
  // a comes back without k1 (restarted): the run ends with an error.
  await bus.take(poll("a", "lab"), 0);
  assert.equal(ends.length, 1);
  assert.match(ends[0].error!, /agent a lost the run/);
});

Deno.test("agent bus: a long poll wakes when work for its site arrives", async () => {
  const bus = new MemoryAgentBus({ offlineAfterMs: 1000 });
  const t0 = Date.now();
  const waiting = bus.take(poll("a", "lab"), 5000);
  setTimeout(() =>
    bus.assign("lab", {
      test_id: "t",
      run_key: "k",
      targets: [{ target: "x", host: "127.0.0.1" }],
      settings: { interval_ms: 10, timeout_ms: 100, size: 56, count: 1 },
    }, { records: () => {}, done: () => {} }), 50);
  const work = await waiting;
  assert.equal(work.assignments.length, 1);
  assert.ok(Date.now() - t0 < 2000);
});
