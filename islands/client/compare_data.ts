// The compare page's chart data: each test's (and target's) RTT CDF and loss
// over time since its start, joined onto one x axis for uPlot.
import uPlot from "uplot";
import type {
  DistributionResponse,
  SeriesResponse,
} from "../../model/series.ts";

export interface Line {
  label: string;
  x: number[];
  y: (number | null)[];
}

/** CDF lines: x RTT (ms), y share of replies at or below it (%). */
export function cdfLines(
  dists: { name: string; dist: DistributionResponse }[],
): Line[] {
  return dists.flatMap(({ name, dist }) =>
    dist.targets.map((t) => ({
      label: dist.targets.length > 1 ? `${name} · ${t.target}` : name,
      // A log axis has no 0: a reply under a microsecond sits at 1 µs.
      x: t.cdf.rtt_ms.map((v) => Math.max(v, 0.001)),
      y: t.cdf.p,
    }))
  );
}

/** Loss lines: x seconds since the test's first probe, y loss % of the bucket. */
export function lossLines(
  series: { name: string; s: SeriesResponse }[],
): Line[] {
  return series.flatMap(({ name, s }) =>
    s.targets.map((t) => ({
      label: s.targets.length > 1 ? `${name} · ${t.target}` : name,
      x: t.t.map((at) => (at + s.bucket_ms / 2 - s.from) / 1000),
      y: t.loss_pct,
    }))
  );
}

/** One aligned table for uPlot: the union of the x values, nulls between. */
export function joinLines(lines: Line[]): uPlot.AlignedData {
  if (!lines.length) return [[]];
  // uPlot.join wants ascending x without repeats (CDF steps repeat RTTs).
  const tables = lines.map((l) => {
    const x: number[] = [], y: (number | null)[] = [];
    for (let i = 0; i < l.x.length; i++) {
      if (x.length && l.x[i] <= x[x.length - 1]) {
        y[y.length - 1] = l.y[i];
        continue;
      }
      x.push(l.x[i]);
      y.push(l.y[i]);
    }
    return [x, y] as uPlot.AlignedData;
  });
  return uPlot.join(tables);
}
