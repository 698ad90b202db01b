// The smoke chart's pure transforms: bands, loss colour classes, gaps as
// nulls, resolutions, live append; and the alert timeline's intervals.
import assert from "node:assert/strict";
import {
  appendPoint,
  BAND_PAIRS,
  COL,
  LOSS_CLASSES,
  lossClass,
  MAX_POINTS,
  resolutionFor,
  SERIES_COUNT,
  seriesUrl,
  smokeData,
} from "../islands/components/smoke_data.ts";
import {
  alertIntervals,
  clipToView,
} from "../islands/components/alert_timeline.ts";
import { dayFixture, point, STEP_MS } from "../testing/monitor_fixture.ts";

const T0 = Date.UTC(2026, 10, 29, 0, 0);

Deno.test("smoke bands: outermost first, each pair inside the previous, p50 in all", () => {
  assert.deepEqual(BAND_PAIRS[0], [0, 8]); // p10-p90
  for (let i = 1; i < BAND_PAIRS.length; i++) {
    const [lo, hi] = BAND_PAIRS[i];
    const [plo, phi] = BAND_PAIRS[i - 1];
    assert.ok(lo > plo && hi < phi, `band ${i} inside band ${i - 1}`);
    assert.equal(lo + hi, 8, "symmetric around the median");
  }
  const d = smokeData([point(T0, 0, 10, 0.4)]);
  assert.equal(d.data.length, SERIES_COUNT);
  // Deciles ascending in their columns, so every band's upper series is above.
  const col = (k: number) => d.data[COL.decile(k)][0]!;
  for (const [lo, hi] of BAND_PAIRS) assert.ok(col(hi) > col(lo));
  assert.equal(col(4), 10);
});

Deno.test("loss classes follow SmokePing's colours: 0 green, then blue, purple, red", () => {
  assert.equal(lossClass(0), 0);
  assert.equal(lossClass(0.1), 1);
  assert.equal(lossClass(5), 1);
  assert.equal(lossClass(5.01), 2);
  assert.equal(lossClass(15), 3);
  assert.equal(lossClass(40), 4);
  assert.equal(lossClass(80), 5);
  assert.equal(lossClass(100), LOSS_CLASSES.length - 1);
  assert.equal(LOSS_CLASSES[0].color, "#1fbf1f");
  assert.equal(LOSS_CLASSES.at(-1)!.color, "#ff0000");
});

Deno.test("the median goes to its loss class's series; a segment is drawn by its start's class", () => {
  const pts = [
    point(T0, 0, 10),
    point(T0 + STEP_MS, 0, 11),
    point(T0 + 2 * STEP_MS, 10, 12),
    point(T0 + 3 * STEP_MS, 0, 13),
  ];
  const d = smokeData(pts);
  const green = d.data[COL.median(0)];
  const blue = d.data[COL.median(lossClass(10))];
  assert.deepEqual(green, [10, 11, 12, 13]); // 2→3 too: ends the green segment 1→2
  assert.deepEqual(blue, [null, null, 12, 13]);
  for (let k = 1; k < LOSS_CLASSES.length; k++) {
    if (k === lossClass(10)) continue;
    assert.ok(d.data[COL.median(k)].every((v) => v === null), `class ${k}`);
  }
});

Deno.test("gaps are rows of nulls, never zero or loss; a lost step is a marker without a median", () => {
  const pts = [
    point(T0, 0, 10),
    point(T0 + STEP_MS, 0, 10),
    // 30 minutes without data
    point(T0 + 32 * STEP_MS, 0, 10),
    point(T0 + 33 * STEP_MS, 100, 10),
    point(T0 + 34 * STEP_MS, 0, 10),
  ];
  const d = smokeData(pts, [{ from: T0 + 2 * STEP_MS, to: T0 + 32 * STEP_MS }]);
  assert.deepEqual(d.gapRows, [2]);
  assert.equal(d.data[0][2], (T0 + 2 * STEP_MS) / 1000);
  for (let c = 1; c < SERIES_COUNT; c++) assert.equal(d.data[c][2], null);
  assert.equal(d.rows[2], null);
  // The outage step: no deciles, no median in any class, the lost marker.
  const out = 4;
  for (let k = 0; k < 9; k++) assert.equal(d.data[COL.decile(k)][out], null);
  for (let k = 0; k < LOSS_CLASSES.length; k++) {
    assert.equal(d.data[COL.median(k)][out], null);
  }
  assert.equal(d.data[COL.lost][out], 1);
  assert.equal(d.data[COL.lost][0], null);
  // A hole with no gap record (points further apart than 1.5 steps) is a gap too.
  const d2 = smokeData([point(T0, 0, 10), point(T0 + 5 * STEP_MS, 0, 10)]);
  assert.deepEqual(d2.gapRows, [1]);
  assert.equal(d2.data[0][1], (T0 + STEP_MS) / 1000);
  // x ascending everywhere (uPlot's requirement).
  const xs = d.data[0] as number[];
  assert.ok(xs.every((x, i) => i === 0 || x > xs[i - 1]));
});

Deno.test("a day fixture: 1,410 points, one gap row, the outage's 10 markers", () => {
  const day = dayFixture("m", T0 + 86_400_000);
  const d = smokeData(day.points, [day.gap]);
  assert.equal(day.points.length, 1440 - 30);
  assert.equal(d.rows.length, 1411);
  assert.equal(d.gapRows.length, 1);
  assert.equal(d.data[COL.lost].filter((v) => v === 1).length, 10);
  assert.ok(d.maxMs > 10 && d.maxMs < 30);
});

Deno.test("resolution: the finest that keeps a view under MAX_POINTS points", () => {
  const H = 3600_000, D = 24 * H;
  assert.equal(MAX_POINTS, 4000);
  assert.equal(resolutionFor(3 * H, 60), "step");
  assert.equal(resolutionFor(D, 60), "step");
  assert.equal(resolutionFor(7 * D, 60), "hour");
  assert.equal(resolutionFor(30 * D, 60), "hour");
  assert.equal(resolutionFor(365 * D, 60), "day");
  // 1-second steps: hours where there are at least 100 of them, or where
  // steps would be more than the API returns (a day: 86,400).
  assert.equal(resolutionFor(3 * H, 1), "step");
  assert.equal(resolutionFor(12 * H, 1), "step");
  assert.equal(resolutionFor(D, 1), "hour");
  assert.equal(resolutionFor(7 * D, 1), "hour");
  assert.equal(resolutionFor(30 * D, 1), "hour");
  assert.equal(
    seriesUrl("a b", 1000.4, 2000, "hour"),
    "/api/monitors/a%20b/series?from=1000&to=2000&resolution=hour",
  );
});

Deno.test("a live point is appended in order, replaces its step, drops what left the view", () => {
  const pts = [point(T0, 0, 1), point(T0 + STEP_MS, 0, 2)];
  const next = appendPoint(pts, point(T0 + 2 * STEP_MS, 0, 3), T0 + STEP_MS);
  assert.deepEqual(next.map((p) => p.median_rtt_ms), [2, 3]);
  const again = appendPoint(next, point(T0 + 2 * STEP_MS, 0, 4), T0);
  assert.deepEqual(again.map((p) => p.median_rtt_ms), [2, 4]);
  assert.equal(pts.length, 2, "the input is not changed");
});

Deno.test("alert timeline: firing and resolved paired per alert; still firing is open", () => {
  const day = dayFixture("m", T0 + 86_400_000);
  const ivs = alertIntervals(day.alerts);
  assert.equal(ivs.length, 1);
  assert.equal(ivs[0].from, day.outage.from + 2 * STEP_MS);
  assert.equal(ivs[0].to, day.outage.to + 2 * STEP_MS);
  const open = alertIntervals([day.alerts[1]]);
  assert.equal(open[0].to, null);
  const c = clipToView(open[0], day.from, day.to, day.to)!;
  assert.ok(c.left > 0.7 && c.left + c.width <= 1.000001);
  assert.equal(clipToView(ivs[0], day.to, day.to + 1000, day.to + 1000), null);
  // A resolved whose firing is older than the history starts at `since`.
  const orphan = alertIntervals([day.alerts[0]]);
  assert.equal(orphan[0].from, Date.parse(day.alerts[0].since));
});
