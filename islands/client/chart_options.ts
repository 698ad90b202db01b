// uPlot options for the two charts of a target, in the colours of the theme.
import type uPlot from "uplot";
import { cssVar } from "./theme.ts";

export type ChartKind = "rtt" | "quality";

// uPlot's default tick labels round 0.0005 to "0.001" twice on small scales.
export const ticks: uPlot.Axis["values"] = (_u, splits) =>
  // A log axis leaves some splits unlabelled (null).
  splits.map((v) => v == null ? "" : String(+v.toPrecision(4)));

export const axis = (o: uPlot.Axis = {}): uPlot.Axis => ({
  stroke: cssVar("--muted"),
  grid: { stroke: cssVar("--grid"), width: 1 },
  ticks: { stroke: cssVar("--grid"), width: 1 },
  ...o,
});

/** Lost probes: a marker at the top edge, no line. */
export const markers = (label: string, color: string): uPlot.Series => ({
  label,
  scale: "mark",
  stroke: color,
  paths: () => null,
  points: { show: true, size: 7, width: 0, fill: color, stroke: color },
});

export const fromZero: uPlot.Scale["range"] = (
  _u,
  _min,
  max,
) => [0, max > 0 ? max * 1.15 : 1];

const ms = (_u: uPlot, v: number | null) =>
  v === null ? "–" : `${v.toFixed(3)} ms`;

/**
 * The RTT chart, drawn from buckets: a min-max band, the median line, and a
 * red mark at the top for every bucket with a lost probe (a single probe is a
 * bucket whose band is a point). Data: x, min, max, median, lost mark.
 */
export function bandOptions(width: number, height: number): uPlot.Options {
  const accent = cssVar("--accent");
  const edge = { scale: "ms", stroke: accent, width: 0.5, value: ms };
  return {
    width,
    height,
    cursor: { drag: { x: false, y: false } },
    scales: { ms: { range: fromZero }, mark: { range: [0, 1] } },
    series: [
      {},
      { label: "min", ...edge },
      { label: "max", ...edge },
      { label: "median", scale: "ms", stroke: accent, width: 1.5, value: ms },
      markers("lost", cssVar("--danger")),
    ],
    bands: [{ series: [2, 1], fill: cssVar("--band-fill") }],
    axes: [
      axis(),
      axis({ scale: "ms", label: "RTT (ms)", size: 60, values: ticks }),
    ],
  };
}

export function chartOptions(
  kind: ChartKind,
  width: number,
  height: number,
): uPlot.Options {
  const danger = cssVar("--danger");
  if (kind === "rtt") return bandOptions(width, height);
  return {
    width,
    height,
    cursor: { drag: { x: false, y: false } },
    scales: { ms: { range: fromZero }, pct: { range: [0, 100] } },
    series: [
      {},
      {
        label: "loss",
        scale: "pct",
        stroke: danger,
        fill: cssVar("--danger-fill"),
        width: 1,
        value: (_u, v) => v === null ? "–" : `${v.toFixed(1)} %`,
      },
      {
        label: "jitter",
        scale: "ms",
        stroke: cssVar("--accent-2"),
        width: 1.5,
        value: ms,
      },
    ],
    axes: [
      axis(),
      axis({ scale: "ms", label: "jitter (ms)", size: 60, values: ticks }),
      axis({
        scale: "pct",
        label: "loss (%)",
        side: 1,
        size: 48,
        grid: { show: false },
      }),
    ],
  };
}
