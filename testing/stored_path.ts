// TEST-ONLY: a finished path (mtr-like) test as the runner would have stored
// it: hop reports every period, a route change, the final path verdict.
// Addresses are from 198.18.0.0/15 (benchmarking); nothing is sent to them.
import type { HopRecord, PathSummary, RouteChange } from "../model/path.ts";
import type { RunEvent, RunEventBody } from "../model/events.ts";
import type { TestMeta } from "../model/run.ts";
import { KvStore } from "../server/store/kv_store.ts";
import type { RunStore } from "../server/store/run_store.ts";
import { storedMeta } from "./stored_history.ts";

/** An hour ago, on a whole second: inside any retention period. */
const T0 = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;

interface HopPlan {
  addresses: [string, string | null][];
  /** Fraction of probes lost. */
  loss: number;
  forwarded: boolean;
  rtt: number;
}

/** Target a: reached at hop 5, hop 2 rate-limits its replies, loss from hop 3. */
const REACHED: HopPlan[] = [
  {
    addresses: [["198.18.0.1", "gw.example.net"]],
    loss: 0,
    forwarded: false,
    rtt: 0.4,
  },
  { addresses: [["198.18.1.1", null]], loss: 0.3, forwarded: false, rtt: 3 },
  {
    addresses: [["198.18.2.1", "core-a.example.net"], [
      "198.18.2.2",
      "core-b.example.net",
    ]],
    loss: 0.1,
    forwarded: true,
    rtt: 8,
  },
  { addresses: [["198.18.3.1", null]], loss: 0.1, forwarded: true, rtt: 12 },
  {
    addresses: [["198.18.0.10", "dest.example.net"]],
    loss: 0.1,
    forwarded: true,
    rtt: 15,
  },
];
/** Target b: hop 3 never answers; the destination is not reached. */
const UNREACHED: HopPlan[] = [
  {
    addresses: [["198.18.0.1", "gw.example.net"]],
    loss: 0,
    forwarded: false,
    rtt: 0.5,
  },
  { addresses: [["198.18.4.1", null]], loss: 0, forwarded: false, rtt: 5 },
  { addresses: [], loss: 1, forwarded: false, rtt: 0 },
];

export const PATH_TARGETS = [
  {
    id: "path-a",
    address: "198.18.0.10",
    plan: REACHED,
    reached: 5,
    origin: 3,
  },
  {
    id: "path-b",
    address: "198.18.0.20",
    plan: UNREACHED,
    reached: null,
    origin: null,
  },
];
/** Reports per hop; the sparklines get this many points. */
export const PATH_REPORTS = 4;
export const ROUTE_CHANGE: RouteChange = {
  timestamp: new Date(T0 + 2500).toISOString(),
  target: "path-a",
  address: "198.18.0.10",
  hop: 4,
  from: "198.18.3.9",
  to: "198.18.3.1",
};

export function pathMeta(id: string): TestMeta {
  const meta = storedMeta(0, {
    id,
    targets: PATH_TARGETS.map((t) => t.id),
    t0: T0,
  });
  meta.settings = {
    ...meta.settings,
    count: PATH_REPORTS * 10,
    mode: "path",
    max_hops: 30,
  };
  meta.targets = meta.targets.map((t, i) => ({
    ...t,
    host: PATH_TARGETS[i].address,
    address: PATH_TARGETS[i].address,
  }));
  return meta;
}

function hopRecord(
  target: string,
  address: string,
  hop: number,
  p: HopPlan,
  round: number,
): HopRecord {
  const sent = 10 * (round + 1);
  const received = Math.round(sent * (1 - p.loss));
  // Each round a little slower: a sparkline that rises.
  const rtt = received ? p.rtt + round * 0.5 : null;
  return {
    timestamp: new Date(T0 + 1000 * (round + 1)).toISOString(),
    target,
    address,
    hop,
    hop_address: p.addresses[0]?.[0] ?? null,
    hop_addresses: p.addresses.map(([address, name], i) => ({
      address,
      name,
      received: i === 0 ? received - (p.addresses.length - 1) : 1,
    })),
    sent,
    received,
    loss_pct: (100 * (sent - received)) / sent,
    last_rtt_ms: rtt,
    min_rtt_ms: received ? p.rtt : null,
    avg_rtt_ms: rtt === null ? null : rtt - 0.2,
    max_rtt_ms: rtt === null ? null : rtt + 1,
    stdev_ms: received ? 0.3 : null,
    jitter_ms: received ? 0.2 : null,
    forwarded_loss: p.forwarded,
  };
}

/**
 * The whole event log, with the ids the live stream would have used;
 * `cutShort`: only the hop reports and the route change, as a test the
 * server stopped in the middle left it (no verdict, no end).
 */
export function storedPathEvents(id: string, cutShort = false): RunEvent[] {
  const out: RunEventBody[] = [{
    type: "status",
    data: { id, status: "running" },
  }];
  const last: HopRecord[][] = PATH_TARGETS.map(() => []);
  for (let round = 0; round < PATH_REPORTS; round++) {
    PATH_TARGETS.forEach((t, slot) => {
      last[slot] = t.plan.map((p, i) =>
        hopRecord(t.id, t.address, i + 1, p, round)
      );
      for (const data of last[slot]) out.push({ type: "hop", data });
    });
    if (round === 1) out.push({ type: "route_change", data: ROUTE_CHANGE });
  }
  if (cutShort) return numbered(out);
  PATH_TARGETS.forEach((t, slot) => {
    const data: PathSummary = {
      timestamp: new Date(T0 + 1000 * (PATH_REPORTS + 1)).toISOString(),
      target: t.id,
      address: t.address,
      destination_reached: t.reached !== null,
      destination_hop: t.reached,
      loss_origin: t.origin,
      route_changes: slot === 0 ? [ROUTE_CHANGE] : [],
      hops: last[slot],
    };
    out.push({ type: "path", data });
  });
  out.push(
    { type: "status", data: { id, status: "completed" } },
    { type: "end", data: { id, status: "completed" } },
  );
  return numbered(out);
}

const numbered = (events: RunEventBody[]) =>
  events.map((e, i) => ({ ...e, id: i + 1 }) as RunEvent);

/**
 * Stores the finished path test `id` (record and event log) into `store`;
 * `cutShort`: still "running", its log without the verdict (the next server
 * to open the store marks it interrupted and ends the log).
 */
export async function storePathTest(
  store: RunStore,
  id: string,
  cutShort = false,
): Promise<TestMeta> {
  const meta = pathMeta(id);
  if (cutShort) {
    meta.status = "running";
    meta.finished_at = null;
  }
  await store.saveTest(meta);
  for (const ev of storedPathEvents(id, cutShort)) store.appendEvent(id, ev);
  await store.flush();
  return meta;
}

/** Stores it into the KV file at `path` (before a server opens it). */
export async function seedPathTest(
  path: string,
  id: string,
  cutShort = false,
): Promise<TestMeta> {
  const store = await KvStore.open(path);
  try {
    return await storePathTest(store, id, cutShort);
  } finally {
    await store.close();
  }
}
