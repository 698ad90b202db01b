// uPlot options of the RTT chart drawn from buckets: a min-max band, the
// median line, and a red mark at the top for every bucket with a lost probe
// (a single probe is a bucket whose band is a point). Optional drag-to-zoom.
import uPlot from "uplot";
import { axis, fromZero, markers, ticks } from "./chart_options.ts";
import { cssVar } from "./theme.ts";

/** Series order of the data: x, min, max, median, lost mark. */
export type BandData = [
  number[],
  (number | null)[],
  (number | null)[],
  (number | null)[],
  (number | null)[],
];

const ms = (_u: uPlot, v: number | null) =>
  v === null ? "–" : `${v.toFixed(3)} ms`;

export function bandOptions(
  width: number,
  height: number,
  /** Called with the dragged range (epoch ms); absent: no zoom. */
  onZoom?: (from: number, to: number) => void,
): uPlot.Options {
  const accent = cssVar("--accent");
  const edge = {
    scale: "ms",
    stroke: accent,
    width: 0.5,
    alpha: 0.5,
    value: ms,
  };
  return {
    width,
    height,
    cursor: {
      drag: { x: !!onZoom, y: false, setScale: false },
    },
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
    hooks: onZoom
      ? {
        setSelect: [(u) => {
          const { left, width: w } = u.select;
          if (w < 3) return;
          const from = u.posToVal(left, "x") * 1000;
          const to = u.posToVal(left + w, "x") * 1000;
          u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
          onZoom(Math.round(from), Math.round(to));
        }],
      }
      : {},
  };
}
