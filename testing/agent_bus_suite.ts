// TEST-ONLY: what every AgentBus must do, run against each implementation
// (memory, PostgreSQL): work to one agent of the site, resent only when lost
// on the way; records stored exactly once and in order; gaps store nothing;
// online while polling or lately seen; a run its agent forgot ends.
import assert from "node:assert/strict";
import type { AgentBus, InboxSink } from "../server/agents/agent_bus.ts";
import type { AgentDone } from "../model/agent.ts";
import type { ProbeRecord } from "../model/probe.ts";
import { sleep } from "./server_process.ts";

/** Makes a bus whose agents count as offline `offlineAfterMs` after their last contact. */
export type BusFactory = (offlineAfterMs: number) => Promise<{
  bus: AgentBus;
  /** Where results are delivered: another replica's bus on the same state, or `bus`. */
  peer: AgentBus;
  close(): Promise<void>;
}>;

export const rec = (index: number): ProbeRecord => ({
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

const poll = (agent: string, site: string, running: string[] = []) => ({
  agent,
  site,
  version: "1",
  running,
});

/** Collects what a run's owner is handed. */
function sink() {
  const got: number[] = [];
  const ends: AgentDone[] = [];
  const s: InboxSink = {
    records: (rs) => got.push(...rs.map((r) => r.index)),
    done: (d) => ends.push(d),
  };
  return { s, got, ends };
}

/** Waits until `ok()` (a peer's delivery reaches the owner by notification). */
async function until(ok: () => boolean, what: string, ms = 5000) {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await sleep(10);
  }
}

const assignment = (key: string) => ({
  test_id: "t1",
  run_key: key,
  targets: [{ target: "t@lab", host: "127.0.0.1" }],
  settings: { interval_ms: 10, timeout_ms: 100, size: 56, count: 5 },
});

export function agentBusSuite(
  name: string,
  make: BusFactory,
  ignore = false,
): void {
  const test = (
    title: string,
    fn: (f: Awaited<ReturnType<BusFactory>>) => Promise<void>,
    offline = 300,
  ) =>
    Deno.test({
      name: `${name}: ${title}`,
      ignore,
      async fn() {
        const f = await make(offline);
        try {
          await fn(f);
        } finally {
          await f.close();
        }
      },
    });

  test("work goes to one agent of the site, and again only if it was lost on the way", async ({ bus, peer }) => {
    await bus.assign("lab", assignment("k1"), sink().s);
    assert.deepEqual((await peer.take(poll("x", "other"), 0)).assignments, []);
    const first = await peer.take(poll("a", "lab"), 0);
    assert.deepEqual(first.assignments.map((a) => a.run_key), ["k1"]);
    assert.deepEqual((await peer.take(poll("b", "lab"), 0)).assignments, []);
    assert.equal((await peer.take(poll("a", "lab"), 0)).assignments.length, 1);
    assert.equal(
      (await peer.take(poll("a", "lab", ["k1"]), 0)).assignments.length,
      0,
    );
    await bus.cancel("k1");
    assert.deepEqual(
      (await peer.take(poll("a", "lab", ["k1"]), 0)).cancellations,
      [{ run_key: "k1" }],
    );
    assert.deepEqual(
      (await peer.take(poll("a", "lab", ["gone"]), 0)).cancellations.at(-1),
      { run_key: "gone" },
    );
  });

  test("records are stored once, in order; gaps store nothing", async ({ bus, peer }) => {
    const { s, got, ends } = sink();
    await bus.assign("lab", assignment("k2"), s);
    await peer.take(poll("a", "lab"), 0);
    assert.deepEqual(await peer.deliver("a", "k2", 1, [rec(0), rec(1)]), {
      kind: "acked",
      acked: 2,
      closed: false,
    });
    // A resend overlapping what is stored (the ack was lost): only the new one.
    assert.deepEqual(await peer.deliver("a", "k2", 2, [rec(1), rec(2)]), {
      kind: "acked",
      acked: 3,
      closed: false,
    });
    assert.deepEqual(await peer.deliver("a", "k2", 5, [rec(4)]), {
      kind: "gap",
      acked: 3,
      closed: false,
    });
    assert.deepEqual(await peer.deliver("b", "k2", 4, [rec(3)]), {
      kind: "unknown",
    });
    // An agent of another site cannot write into it, whatever name it gives.
    assert.deepEqual(
      await peer.deliver("a", "k2", 4, [rec(3)], undefined, "other"),
      { kind: "unknown" },
    );
    // The end waits for every record before it.
    await peer.deliver("a", "k2", 4, [], { seq: 5, stopped: false });
    assert.deepEqual(
      await peer.deliver("a", "k2", 4, [rec(3), rec(4)], {
        seq: 5,
        stopped: false,
      }),
      { kind: "acked", acked: 5, closed: true },
    );
    await peer.deliver("a", "k2", 4, [rec(3), rec(4)], {
      seq: 5,
      stopped: false,
    });
    await until(() => ends.length === 1, "the end reaches the owner");
    await sleep(50);
    assert.deepEqual(got, [0, 1, 2, 3, 4]);
    assert.equal(ends.length, 1);
    await bus.close("k2");
    assert.deepEqual(await peer.deliver("a", "k2", 6, [rec(5)]), {
      kind: "unknown",
    });
  });

  test("online while polling or lately seen; a run started and then forgotten ends", async ({ bus, peer }) => {
    const { s, ends } = sink();
    await bus.assign("lab", assignment("k3"), s);
    assert.equal(await bus.siteOnline("lab"), false);
    await peer.take(poll("a", "lab"), 0); // claims k3
    assert.equal(await bus.siteOnline("lab"), true);
    await sleep(450);
    assert.equal(await bus.siteOnline("lab"), false);
    assert.deepEqual((await bus.runState("k3")).online, false);
    // Held in a poll (longer than offline_after): online all along.
    const ac = new AbortController();
    const held = peer.take(poll("a", "lab", ["k3"]), 60_000, ac.signal);
    await sleep(600);
    assert.equal(await bus.siteOnline("lab"), true, "a held poll is online");
    assert.deepEqual(await bus.runState("k3"), {
      agent: "a",
      started: true,
      online: true,
    });
    ac.abort();
    await held;
    await sleep(450);
    assert.deepEqual(
      (await bus.agents()).map((a) => [a.name, a.site, a.online]),
      [["a", "lab", false]],
    );
    // a comes back without k3 (restarted): the run ends with an error.
    await peer.take(poll("a", "lab"), 0);
    await until(() => ends.length === 1, "the lost run ends");
    assert.match(ends[0].error!, /agent a lost the run/);
  });

  test(
    "a long poll wakes when work for its site arrives",
    async ({ bus, peer }) => {
      const t0 = Date.now();
      const waiting = peer.take(poll("a", "lab"), 5000);
      setTimeout(() => bus.assign("lab", assignment("k4"), sink().s), 100);
      const work = await waiting;
      assert.equal(work.assignments.length, 1);
      assert.ok(Date.now() - t0 < 2000, `${Date.now() - t0} ms`);
    },
    1000,
  );
}
