// The kind run's bookkeeping with a scripted prober (pure logic: no sockets):
// answers before the timeout are ok, after it late (and first reported lost),
// failures are errors, unanswered probes lost; the statistics equal the
// reference computation; every attempt is freed; stop() ends sending.
import assert from "node:assert/strict";
import type { ProbeRecord } from "../../model/probe.ts";
import { computeStats } from "../statistics.ts";
import type { ResolvedTarget } from "../target.ts";
import { type Answer, type KindProber, KindRun } from "./kind_run.ts";
import type { KindSlot } from "./kind_slot.ts";

/** Answers probe i after delays[i] ms (null: never; "fail": an error). */
class ScriptedProber implements KindProber {
  readonly kind = "tcp-connect" as const;
  started = 0;
  freed = 0;
  constructor(readonly script: (number | null | "fail")[]) {}
  start(
    _t: ResolvedTarget,
    _port: number,
    slot: KindSlot,
    answer: (a: Answer) => void,
  ): () => void {
    this.started++;
    slot.sentMonotonic = performance.now();
    slot.sent_ms = Date.now();
    const what = this.script[slot.index];
    let timer: ReturnType<typeof setTimeout> | undefined;
    if (what === "fail") {
      answer({
        rttMs: null,
        receivedMs: Date.now(),
        kernelTs: false,
        error: "EHOSTUNREACH",
      });
    } else if (what !== null) {
      timer = setTimeout(() => {
        answer({
          rttMs: performance.now() - slot.sentMonotonic,
          receivedMs: Date.now(),
          kernelTs: false,
          tcp: "syn-ack",
        });
      }, what);
    }
    return () => {
      clearTimeout(timer);
      this.freed++;
    };
  }
}

const target: ResolvedTarget = {
  target: "t",
  host: "198.18.0.2",
  address: "198.18.0.2",
  family: 4,
};

Deno.test("kind run: ok, late, error and lost as the ICMP engine counts them; stats equal the reference", async () => {
  // Probe 1 (sent at 50 ms) answers after its 200 ms timeout, at 350 ms:
  // late, within its 2× give-up (450 ms) and before the run ends (the last
  // probe's timeout, 450 ms); probe 3 never answers, probe 4 fails at once.
  const prober = new ScriptedProber([1, 300, 2, null, "fail", 1]);
  const records: ProbeRecord[] = [];
  const run = new KindRun(
    [target],
    {
      interval_ms: 50,
      timeout_ms: 200,
      size: 56,
      count: 6,
      probe: { kind: "tcp-connect", port: 80 },
    },
    prober,
    { onProbe: (r) => records.push(r) },
  );
  await run.done;
  const byIndex = (i: number) =>
    records.filter((r) => r.index === i).map((r) => r.status);
  assert.deepEqual(byIndex(0), ["ok"]);
  assert.deepEqual(byIndex(1), ["lost", "late"]);
  assert.deepEqual(byIndex(3), ["lost"]);
  assert.deepEqual(byIndex(4), ["error"]);
  assert.equal(records.find((r) => r.index === 4)!.error, "EHOSTUNREACH");
  for (const r of records) {
    assert.equal(r.kind, "tcp-connect");
    assert.equal(r.port, 80);
  }
  const stats = run.stats(0);
  assert.deepEqual(stats, computeStats([...run.outcomes(0)]));
  assert.equal(stats.sent, 6);
  assert.equal(stats.received, 3);
  assert.equal(stats.late, 1);
  assert.equal(stats.errors, 1);
  assert.equal(prober.started, 6);
  assert.equal(prober.freed, 6, "every attempt freed");
});

Deno.test("kind run: stop() ends sending; the run ends once the sent probes resolve", async () => {
  const prober = new ScriptedProber(Array(1000).fill(1));
  const run = new KindRun(
    [target],
    {
      interval_ms: 5,
      timeout_ms: 100,
      size: 56,
      count: 1000,
      probe: { kind: "tcp-connect", port: 80 },
    },
    prober,
    { lingerMs: 0 },
  );
  await new Promise((r) => setTimeout(r, 50));
  run.stop();
  await run.done;
  assert.ok(run.stopped);
  const sent = run.stats(0).sent;
  assert.ok(sent > 0 && sent < 1000, `${sent}`);
  assert.equal(prober.started, sent);
  assert.equal(prober.freed, sent);
});
