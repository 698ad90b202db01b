// Writes history straight into a store (tests and benchmarks): test records
// through saveTest (so the indexes are kept), and a finished test's event
// log as the runner would have stored it.
import type { RunEvent } from "../model/events.ts";
import type { TargetReport, TestMeta, TestStatus } from "../model/run.ts";
import type { RunStore } from "../server/store/run_store.ts";

export const T0 = Date.parse("2026-01-01T00:00:00.000Z");

/** A finished test record; `i` spaces creation times a second apart. */
export function storedMeta(
  i: number,
  opts: {
    targets?: string[];
    status?: TestStatus;
    id?: string;
    /** Creation time of test 0 (epoch ms); default T0. */
    t0?: number;
  } = {},
): TestMeta {
  const created = (opts.t0 ?? T0) + i * 1000;
  return {
    id: opts.id ?? `t${String(i).padStart(6, "0")}`,
    status: opts.status ?? "completed",
    created_at: new Date(created).toISOString(),
    finished_at: new Date(created + 500).toISOString(),
    created_by: "anonymous",
    settings: { interval_ms: 1000, count: 1, timeout_ms: 1000, size: 56 },
    targets: (opts.targets ?? ["localhost-v4"]).map((t) => ({
      id: t,
      name: t,
      host: "127.0.0.1",
      address: "127.0.0.1",
    })),
  };
}

export function report(target: string, sent: number, at: number): TargetReport {
  return {
    timestamp: new Date(at).toISOString(),
    target,
    address: "127.0.0.1",
    sent,
    received: sent,
    lost: 0,
    loss_pct: 0,
    duplicates: 0,
    late: 0,
    errors: 0,
    reordered: 0,
    pending: 0,
    min_rtt_ms: 0.05,
    avg_rtt_ms: 0.05,
    max_rtt_ms: 0.05,
    mdev_ms: 0,
    median_rtt_ms: 0.05,
    p95_rtt_ms: 0.05,
    p99_rtt_ms: 0.05,
    jitter_ms: 0,
    jitter_rfc3550_ms: 0,
    loss_bursts: 0,
    longest_loss_burst: 0,
    outages: 0,
    outage_ms: 0,
    mos: 4.4,
  };
}

/**
 * The event log of a completed one-target test of `probes` probes at 1 ms
 * with an interval report every `reportEvery` probes, with the ids the live
 * stream would have used; yields it in slices so a long one is never whole.
 */
export function* storedEvents(
  id: string,
  probes: number,
  reportEvery = 1000,
  slice = 5000,
): Generator<RunEvent[]> {
  const target = "localhost-v4";
  let next = 1;
  let out: RunEvent[] = [{
    id: next++,
    type: "status",
    data: { id, status: "running" },
  }];
  for (let i = 0; i < probes; i++) {
    const sent_at = T0 + i;
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
        rtt_ms: 0.05,
        status: "ok",
        ttl: 64,
        ts_source: "kernel",
      },
    });
    if ((i + 1) % reportEvery === 0) {
      out.push({
        id: next++,
        type: "interval",
        data: report(target, i + 1, sent_at),
      });
    }
    if (out.length >= slice) {
      yield out;
      out = [];
    }
  }
  out.push(
    { id: next++, type: "summary", data: report(target, probes, T0 + probes) },
    { id: next++, type: "status", data: { id, status: "completed" } },
    { id: next++, type: "end", data: { id, status: "completed" } },
  );
  yield out;
}

/** Stores a completed test of `probes` probes: record, summary and event log. */
export async function storeFinishedTest(
  store: RunStore,
  meta: TestMeta,
  probes: number,
  reportEvery = 1000,
): Promise<void> {
  await store.saveTest(meta);
  for (const slice of storedEvents(meta.id, probes, reportEvery)) {
    for (const ev of slice) store.appendEvent(meta.id, ev);
    await store.flush();
  }
  await store.saveSummary(meta.id, [report("localhost-v4", probes, T0)]);
}
