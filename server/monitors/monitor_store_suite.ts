// The MonitorStore contract, run on every implementation (the KV file in
// monitor_store_test.ts, PostgreSQL in pg_monitor_store_test.ts): points by
// resolution and range, counts, the newest point, retention, gaps, hops,
// specs, and rollups made once and resumed by a new instance (a restart).
import assert from "node:assert/strict";
import type { MonitorPoint, MonitorSpec } from "../../model/monitor.ts";
import type { MonitorStore } from "./monitor_store.ts";
import { decodePoint, encodePoint } from "./point_codec.ts";

const H = 3_600_000;
const DAY = 86_400_000;

export interface MonitorStoreKit {
  store: MonitorStore;
  /** Another instance on the same storage (what a restart opens). */
  again(): MonitorStore;
  close(): Promise<void>;
}

export type OpenMonitorStore = (
  retention?: MonitorStore["retention"],
) => Promise<MonitorStoreKit>;

export function fakePoint(t: number, span_s: number, rtt = 1.5): MonitorPoint {
  return {
    t,
    span_s,
    sent: 20,
    received: 19,
    loss_pct: 5,
    late: 0,
    duplicates: 0,
    min_rtt_ms: rtt,
    median_rtt_ms: rtt,
    avg_rtt_ms: rtt,
    max_rtt_ms: rtt,
    deciles_ms: Array(9).fill(rtt),
    jitter_ms: 0,
    jitter_pairs: 18,
    hist: [[Math.floor(Math.log(rtt * 1000) / Math.log(1.05)) + 1, 19]],
  };
}

/** What a store gives back for a point: the codec's exact round trip. */
const stored = (p: MonitorPoint) => decodePoint(p.t, encodePoint(p));

export const spec = (id: string, server = "s"): MonitorSpec => ({
  id,
  server,
  mode: "ping",
  step_s: 60,
  probes: 20,
  timeout_ms: 1000,
  size: 56,
  alerts: [],
});

/** Midnight two days ago: whole hours and days inside every retention. */
const day0 = () => Math.floor(Date.now() / DAY) * DAY - 2 * DAY;

export function monitorStoreSuite(name: string, open: OpenMonitorStore): void {
  const test = (what: string, fn: (kit: MonitorStoreKit) => Promise<void>) =>
    Deno.test(`${name}: ${what}`, async () => {
      const kit = await open();
      try {
        await fn(kit);
      } finally {
        await kit.close();
      }
    });

  test("points by monitor, resolution and [from, to), oldest first, limited, replaced", async ({ store }) => {
    const t0 = day0();
    const steps = [0, 1, 2, 3, 4].map((k) =>
      fakePoint(t0 + k * 60_000, 60, 1 + k)
    );
    // Written out of order: reads still come oldest first.
    for (const p of [...steps].reverse()) {
      await store.putPoint("m1", "step", p);
    }
    await store.putPoint("m1", "hour", fakePoint(t0, 3600, 9));
    await store.putPoint("m2", "step", fakePoint(t0 + 60_000, 60, 7));
    await store.putPoint("m10", "step", fakePoint(t0 + 60_000, 60, 8));
    assert.deepEqual(
      await store.points("m1", "step", t0, t0 + 5 * 60_000),
      steps.map(stored),
    );
    // from is inclusive, to exclusive.
    assert.deepEqual(
      (await store.points("m1", "step", t0 + 60_000, t0 + 3 * 60_000))
        .map((p) => p.t),
      [t0 + 60_000, t0 + 2 * 60_000],
    );
    assert.deepEqual(
      (await store.points("m1", "step", t0, t0 + H, 2)).map((p) => p.t),
      [t0, t0 + 60_000],
    );
    assert.deepEqual(await store.points("m1", "hour", t0, t0 + H), [
      stored(fakePoint(t0, 3600, 9)),
    ]);
    assert.deepEqual(await store.points("m1", "day", t0, t0 + DAY), []);
    assert.deepEqual(
      (await store.points("m2", "step", t0, t0 + H)).map((p) =>
        p.median_rtt_ms
      ),
      [7],
    );
    assert.deepEqual(await store.points("nope", "step", t0, t0 + H), []);
    // The same t again replaces the point.
    await store.putPoint("m1", "step", fakePoint(t0, 60, 42));
    const again = await store.points("m1", "step", t0, t0 + 1);
    assert.equal(again.length, 1);
    assert.equal(again[0].median_rtt_ms, 42);
  });

  test("count counts [from, to) up to cap + 1; lastPoint is the newest per resolution", async ({ store }) => {
    const t0 = day0();
    for (let k = 0; k < 10; k++) {
      await store.putPoint("m1", "step", fakePoint(t0 + k * 60_000, 60));
    }
    await store.putPoint("m1", "hour", fakePoint(t0 - H, 3600, 3));
    await store.putPoint("m1", "hour", fakePoint(t0 - 2 * H, 3600, 4));
    assert.equal(await store.count("m1", "step", t0, t0 + H, 100), 10);
    assert.equal(await store.count("m1", "step", t0, t0 + H, 3), 4);
    assert.equal(
      await store.count("m1", "step", t0 + 60_000, t0 + 3 * 60_000, 100),
      2,
    );
    assert.equal(await store.count("m1", "day", t0, t0 + H, 100), 0);
    assert.equal(await store.count("m2", "step", t0, t0 + H, 100), 0);
    assert.deepEqual(
      await store.lastPoint("m1"),
      stored(fakePoint(t0 + 9 * 60_000, 60)),
    );
    assert.equal((await store.lastPoint("m1", "hour"))!.t, t0 - H);
    assert.equal(await store.lastPoint("m1", "day"), null);
    assert.equal(await store.lastPoint("m2"), null);
  });

  test("retention: a point or gap already older than its resolution's retention is not stored", async () => {
    const kit = await open({ step_days: 1, hour_days: 2, day_days: 3 });
    try {
      const { store } = kit;
      const now = Date.now();
      await store.putPoint("m1", "step", fakePoint(now - DAY - 60_000, 60));
      await store.putPoint("m1", "step", fakePoint(now - DAY + H, 60));
      await store.putPoint("m1", "hour", fakePoint(now - 2 * DAY - H, 3600));
      await store.putPoint("m1", "hour", fakePoint(now - DAY - H, 3600));
      await store.putPoint("m1", "day", fakePoint(now - 4 * DAY, 86400));
      await store.putPoint("m1", "day", fakePoint(now - 2 * DAY, 86400));
      const ts = async (res: "step" | "hour" | "day") =>
        (await store.points("m1", res, 0, now + DAY)).map((p) => p.t);
      assert.deepEqual(await ts("step"), [now - DAY + H]);
      assert.deepEqual(await ts("hour"), [now - DAY - H]);
      assert.deepEqual(await ts("day"), [now - 2 * DAY]);
      // Gaps are kept as long as day points, counted from their end.
      await store.putGap("m1", { from: now - 5 * DAY, to: now - 4 * DAY });
      await store.putGap("m1", { from: now - 4 * DAY, to: now - 2 * DAY });
      assert.deepEqual(await store.gaps("m1", 0, now), [
        { from: now - 4 * DAY, to: now - 2 * DAY },
      ]);
    } finally {
      await kit.close();
    }
  });

  test("gaps overlapping [from, to), by start; empty gaps ignored", async ({ store }) => {
    const t0 = day0();
    const g1 = { from: t0 + 10 * H, to: t0 + 12 * H };
    const g2 = { from: t0 + 14 * H, to: t0 + 15 * H };
    await store.putGap("m1", g2);
    await store.putGap("m1", g1);
    await store.putGap("m1", { from: t0 + 20 * H, to: t0 + 20 * H });
    await store.putGap("m2", { from: t0, to: t0 + 30 * H });
    assert.deepEqual(await store.gaps("m1", t0, t0 + DAY), [g1, g2]);
    assert.deepEqual(await store.gaps("m1", t0 + 11 * H, t0 + 20 * H), [
      g1,
      g2,
    ]);
    assert.deepEqual(await store.gaps("m1", t0 + 13 * H, t0 + 20 * H), [g2]);
    // Touching is not overlapping: [12h, 14h) meets both ends only.
    assert.deepEqual(await store.gaps("m1", t0 + 12 * H, t0 + 14 * H), []);
    assert.deepEqual(await store.gaps("m1", t0 + 20 * H, t0 + DAY), []);
    assert.deepEqual(await store.gaps("m3", t0, t0 + DAY), []);
  });

  test("latestHops: the newest step's hops of the monitor, else null", async ({ store }) => {
    const t0 = day0();
    assert.equal(await store.latestHops("p1"), null);
    const a: [number, string | null, number, number | null][] = [
      [1, "192.0.2.1", 0, 1.25],
      [2, null, 100, null],
    ];
    const b: typeof a = [[1, "192.0.2.1", 5, 1.5], [2, "2001:db8::1", 0, 9]];
    await store.putHops("p1", t0 + 60_000, b);
    await store.putHops("p1", t0, a);
    await store.putHops("p2", t0 + 120_000, a);
    assert.deepEqual(await store.latestHops("p1"), { t: t0 + 60_000, hops: b });
    assert.deepEqual(await store.latestHops("p2"), {
      t: t0 + 120_000,
      hops: a,
    });
  });

  test("specs: created, replaced, listed by id, deleted", async ({ store, again }) => {
    assert.deepEqual(await store.specs(), []);
    await store.putSpec(spec("b"));
    await store.putSpec(spec("a"));
    await store.putSpec(spec("B-upper"));
    await store.putSpec({ ...spec("b", "other"), step_s: 5, alerts: [] });
    assert.deepEqual(await again().specs(), [
      spec("B-upper"),
      spec("a"),
      { ...spec("b", "other"), step_s: 5 },
    ]);
    await store.deleteSpec("a");
    await store.deleteSpec("never-there");
    assert.deepEqual((await store.specs()).map((s) => s.id), ["B-upper", "b"]);
  });

  test("rollUp: complete hours from steps and days from hours, once; a new instance resumes", async ({ store, again }) => {
    const t0 = day0();
    // Two full days and 30 min of the third, one point every 10 min.
    for (let t = t0; t < t0 + 48 * H + H / 2; t += 600_000) {
      await store.putPoint("m1", "step", fakePoint(t, 600, 1 + (t / H) % 3));
    }
    const made = await store.rollUp("m1", t0 + 48 * H + H / 2);
    assert.deepEqual(
      made.filter((p) => p.span_s === 3600).map((p) => p.t),
      Array.from({ length: 48 }, (_, k) => t0 + k * H),
    );
    assert.deepEqual(
      made.filter((p) => p.span_s === 86400).map((p) => p.t),
      [t0, t0 + DAY],
    );
    const hour = (await store.points("m1", "hour", t0, t0 + H))[0];
    assert.equal(hour.sent, 120);
    assert.equal(hour.received, 114);
    assert.equal(hour.span_s, 3600);
    const day = (await store.points("m1", "day", t0, t0 + DAY))[0];
    assert.equal(day.sent, 20 * 144);
    assert.equal(day.span_s, 86400);
    assert.equal(await store.count("m1", "hour", t0, t0 + 3 * DAY, 1000), 48);
    // A second pass, and a restart's, make nothing twice.
    assert.deepEqual(await store.rollUp("m1", t0 + 48 * H + H / 2), []);
    const next = again();
    assert.deepEqual(await next.rollUp("m1", t0 + 48 * H + H / 2), []);
    // The hour in progress completes: the new instance makes just that one.
    await next.putPoint(
      "m1",
      "step",
      fakePoint(t0 + 48 * H + 40 * 60_000, 600),
    );
    const later = await next.rollUp("m1", t0 + 49 * H);
    assert.deepEqual(later.map((p) => [p.t, p.span_s]), [[t0 + 48 * H, 3600]]);
    assert.equal(later[0].sent, 80);
    assert.deepEqual(await store.lastPoint("m1", "hour"), stored(later[0]));
  });

  test("rollUp: hours without data are skipped; nothing before the first point; other monitors untouched", async ({ store }) => {
    const t0 = day0();
    assert.deepEqual(await store.rollUp("m1", t0 + DAY), []);
    await store.putPoint("m1", "step", fakePoint(t0 + 2 * H + 60_000, 60));
    await store.putPoint("m1", "step", fakePoint(t0 + 2 * H + 120_000, 60, 3));
    await store.putPoint("m1", "step", fakePoint(t0 + 30 * H, 60));
    await store.putPoint("m2", "step", fakePoint(t0 + 5 * H, 60));
    const made = await store.rollUp("m1", t0 + 30 * H + H);
    assert.deepEqual(made.map((p) => [p.t, p.span_s]), [
      [t0 + 2 * H, 3600],
      [t0 + 30 * H, 3600],
      [t0, 86400],
    ]);
    assert.equal(made[0].sent, 40);
    assert.equal(made[0].min_rtt_ms, 1.5);
    assert.equal(made[0].max_rtt_ms, 3);
    assert.equal(made[2].sent, 40);
    assert.equal(await store.lastPoint("m2", "hour"), null);
    // Up to a time inside an hour: that hour waits.
    assert.deepEqual(await store.rollUp("m2", t0 + 5 * H + 59 * 60_000), []);
    assert.deepEqual(
      (await store.rollUp("m2", t0 + 6 * H)).map((p) => p.t),
      [t0 + 5 * H],
    );
  });
}
