// A long finished test written straight into a store in seconds (tests and
// benchmarks of the big-test view): `probes` probes to one target at
// `intervalMs`, RTTs of 0.2 to 0.3 ms, one lost probe and one spike at known
// probe numbers (the middle, by default), and the summary the runner would save.
import type { RunEvent } from "../model/events.ts";
import type { TestMeta } from "../model/run.ts";
import type { RunStore } from "../server/store/run_store.ts";
import { report, storedMeta, T0 } from "./stored_history.ts";

export interface BigTestOptions {
  id?: string;
  probes: number;
  /** Time between probes, ms (default 1000: a day is 86,400 probes). */
  intervalMs?: number;
  /** Probe numbers reported lost (default: the middle one). */
  lost?: number[];
  /** Probe number with a high RTT (default: a quarter in). */
  spikeAt?: number;
  spikeMs?: number;
  /** Send time of probe 0, epoch ms (default T0). */
  t0?: number;
  target?: string;
}

export interface BigTest {
  meta: TestMeta;
  /** Send time of probe i, epoch ms. */
  at: (i: number) => number;
  lost: number[];
  spikeAt: number;
  spikeMs: number;
}

/** A base RTT that varies a little, the same on every run. */
const rttOf = (i: number) => 0.2 + ((i * 7919) % 1000) / 10_000;

export function bigTestPlan(o: BigTestOptions): BigTest {
  const intervalMs = o.intervalMs ?? 1000;
  const t0 = o.t0 ?? T0;
  const meta = storedMeta(0, {
    id: o.id ?? "big",
    t0,
    targets: [o.target ?? "localhost-v4"],
  });
  meta.settings = {
    interval_ms: intervalMs,
    count: o.probes,
    timeout_ms: 1000,
    size: 56,
  };
  meta.finished_at = new Date(t0 + o.probes * intervalMs + 1000).toISOString();
  return {
    meta,
    at: (i) => t0 + i * intervalMs,
    lost: o.lost ?? [Math.floor(o.probes / 2)],
    spikeAt: o.spikeAt ?? Math.floor(o.probes / 4),
    spikeMs: o.spikeMs ?? 250,
  };
}

/** The plan's event log in slices, with the ids the live stream would have used. */
export function* bigTestEvents(
  plan: BigTest,
  slice = 5000,
): Generator<RunEvent[]> {
  const { meta } = plan;
  const target = meta.targets[0].id;
  const count = meta.settings.count!;
  const lost = new Set(plan.lost);
  let next = 1;
  let out: RunEvent[] = [{
    id: next++,
    type: "status",
    data: { id: meta.id, status: "running" },
  }];
  for (let i = 0; i < count; i++) {
    const sent_at = plan.at(i);
    const gone = lost.has(i);
    out.push({
      id: next++,
      type: "probe",
      data: {
        timestamp: new Date(sent_at).toISOString(),
        target,
        address: "127.0.0.1",
        index: i,
        seq: i & 0xffff,
        sent_at,
        rtt_ms: gone ? null : i === plan.spikeAt ? plan.spikeMs : rttOf(i),
        status: gone ? "lost" : "ok",
        ttl: gone ? null : 64,
        ts_source: "kernel",
      },
    });
    if (out.length >= slice) {
      yield out;
      out = [];
    }
  }
  const end = plan.at(count);
  out.push(
    { id: next++, type: "summary", data: summaryOf(plan, target, end) },
    { id: next++, type: "status", data: { id: meta.id, status: "completed" } },
    { id: next++, type: "end", data: { id: meta.id, status: "completed" } },
  );
  yield out;
}

function summaryOf(plan: BigTest, target: string, at: number) {
  const sent = plan.meta.settings.count!;
  const lost = plan.lost.length;
  return {
    ...report(target, sent, at),
    received: sent - lost,
    lost,
    loss_pct: (lost / sent) * 100,
    max_rtt_ms: plan.spikeMs,
    loss_bursts: lost ? 1 : 0,
    longest_loss_burst: lost ? 1 : 0,
  };
}

/** Stores the planned test: record, event log, summary. */
export async function storeBigTest(
  store: RunStore,
  o: BigTestOptions,
): Promise<BigTest> {
  const plan = bigTestPlan(o);
  await store.saveTest(plan.meta);
  for (const slice of bigTestEvents(plan)) {
    for (const ev of slice) store.appendEvent(plan.meta.id, ev);
    await store.flush();
  }
  const target = plan.meta.targets[0].id;
  await store.saveSummary(plan.meta.id, [
    summaryOf(plan, target, plan.at(plan.meta.settings.count!)),
  ]);
  return plan;
}

/** Stores planned tests into the KV file at `path` (a browser test's seed). */
export async function seedBigTests(
  path: string,
  tests: BigTestOptions[],
): Promise<BigTest[]> {
  const { KvStore } = await import("../server/store/kv_store.ts");
  const store = await KvStore.open(path);
  try {
    const out: BigTest[] = [];
    for (const o of tests) out.push(await storeBigTest(store, o));
    return out;
  } finally {
    await store.close();
  }
}
