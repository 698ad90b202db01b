// A target's series (GET /api/tests/{id}/series) as uPlot data: the RTT band
// chart and the loss/jitter chart; x is the bucket's middle in seconds.
import type { SeriesResponse, TargetSeries } from "../../model/series.ts";
import type { BandData } from "./band_options.ts";

export function bandData(s: TargetSeries, bucketMs: number): BandData {
  const half = bucketMs / 2;
  return [
    s.t.map((t) => (t + half) / 1000),
    s.min,
    s.max,
    s.median,
    s.lost.map((l) => l > 0 ? 1 : null),
  ];
}

export function qualityData(
  s: TargetSeries,
  bucketMs: number,
): [number[], (number | null)[], (number | null)[]] {
  const half = bucketMs / 2;
  return [s.t.map((t) => (t + half) / 1000), s.loss_pct, s.jitter];
}

/** What the chart element reports for tests: points, lost probes, marks, highest RTT. */
export function seriesFacts(r: SeriesResponse, slot: number) {
  const s = r.targets[slot];
  let lost = 0, marks = 0, max = 0;
  for (let i = 0; i < s.t.length; i++) {
    lost += s.lost[i];
    if (s.lost[i] > 0) marks++;
    if ((s.max[i] ?? 0) > max) max = s.max[i]!;
  }
  return { points: s.t.length, lost, marks, max };
}
