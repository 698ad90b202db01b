// A live test of 8 hours at 10 probes/s through LiveStore: the browser keeps
// the newest minutes in full and the rest folded, without losing a loss or a spike.
import assert from "node:assert/strict";
import type { TestMeta } from "../../model/run.ts";
import { LiveStore } from "./live_store.ts";
import {
  coarsen,
  DETAIL_MAX,
  DETAIL_S,
  liveBandData,
  MAX_BUCKETS,
  newFolded,
} from "./fold_series.ts";

const T0 = 1_700_000_000_000;
const meta: TestMeta = {
  id: "long",
  status: "running",
  created_at: new Date(T0).toISOString(),
  finished_at: null,
  settings: { interval_ms: 100, timeout_ms: 1000, size: 56, count: 288_000 },
  targets: [{ id: "a", name: "A", host: "127.0.0.1", address: "127.0.0.1" }],
};

const probe = (index: number, status: "ok" | "lost", rtt: number | null) => ({
  type: "probe" as const,
  data: {
    timestamp: "",
    target: "a",
    address: "127.0.0.1",
    index,
    seq: index & 0xffff,
    sent_at: T0 + index * 100,
    rtt_ms: rtt,
    status,
    ttl: 64,
    ts_source: "kernel" as const,
  },
});

Deno.test("8 hours at 10 probes/s: bounded detail and buckets, every loss and the spike kept", () => {
  const store = new LiveStore(meta, null);
  const N = 288_000;
  const lostAt = new Set([10, 50_000, 144_000, 287_980]);
  for (let i = 0; i < N; i++) {
    if (lostAt.has(i)) continue; // reported at its timeout, below
    store.apply(probe(i, "ok", i === 100_000 ? 900 : 0.2 + (i % 7) / 100));
    if (lostAt.has(i - 10)) store.apply(probe(i - 10, "lost", null));
  }
  // A second report of a folded probe (late after lost) changes nothing.
  store.apply(probe(10, "lost", null));
  store.apply({
    ...probe(50_000, "ok", 5),
    data: { ...probe(50_000, "ok", 5).data, status: "late" as "ok" },
  });
  const s = store.probes[0], f = store.folded[0];
  assert.ok(s.x.length <= DETAIL_MAX + 2000, `${s.x.length} probes in detail`);
  const newest = s.x[s.x.length - 1];
  assert.ok(
    newest - s.x[0] <= DETAIL_S + 60 + 1e-6,
    "detail is the newest minutes",
  );
  assert.ok(newest - s.x[0] >= DETAIL_S - 1, "and all of them");
  assert.ok(
    f.b.length <= MAX_BUCKETS && f.b.length > 100,
    `${f.b.length} buckets`,
  );
  const folded = f.b.reduce((a, b) => a + b.n + b.lost, 0);
  assert.equal(folded + s.x.length, N, "every probe counted once");
  assert.equal(s.lostCount, 4);
  const detailLost = s.lost.filter((l) => l !== null).length;
  assert.equal(f.b.reduce((a, b) => a + b.lost, 0) + detailLost, 4);
  assert.equal(
    Math.max(...f.b.map((b) => b.max ?? 0)),
    900,
    "the spike is a bucket max",
  );
  const band = liveBandData(f, s);
  assert.equal(band[0].length, f.b.length + s.x.length);
  assert.equal(band[4].filter((m) => m === 1).length, 4, "four loss marks");
  for (let i = 1; i < band[0].length; i++) {
    assert.ok(band[0][i] > band[0][i - 1], "x ascending");
  }
});

Deno.test("coarsening merges neighbours: min, max, counts kept", () => {
  const f = newFolded(1);
  const b = (
    x: number,
    min: number | null,
    max: number | null,
    med: number | null,
    n: number,
    lost: number,
  ) => ({ x, min, max, med, n, lost });
  f.b.push(
    b(0, 1, 5, 2, 1, 0),
    b(1, 2, 6, 4, 3, 0),
    b(2, null, null, null, 0, 2),
    b(3, 4, 8, 6, 2, 1),
  );
  coarsen(f);
  assert.equal(f.width, 2);
  assert.deepEqual(f.b, [b(0, 1, 6, 3.5, 4, 0), b(2, 4, 8, 6, 2, 3)]);
});
