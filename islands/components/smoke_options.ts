// uPlot options of the smoke chart, in the colours of the theme: the deciles
// as invisible series with grey bands between them (darker toward the
// median), one median series per loss class, fully lost steps as red marks.
import type uPlot from "uplot";
import { cssVar } from "../client/theme.ts";
import { BAND_PAIRS, COL, LOSS_CLASSES } from "./smoke_data.ts";

const axis = (o: uPlot.Axis = {}): uPlot.Axis => ({
  stroke: cssVar("--muted"),
  grid: { stroke: cssVar("--grid"), width: 1 },
  ticks: { stroke: cssVar("--grid"), width: 1 },
  ...o,
});

const msTicks: uPlot.Axis["values"] = (_u, splits) =>
  splits.map((v) => String(+v.toPrecision(4)));

export interface SmokeView {
  from: number;
  to: number;
}

export function smokeOptions(
  width: number,
  height: number,
  view: () => SmokeView,
  hooks: uPlot.Options["hooks"],
): uPlot.Options {
  const smoke = cssVar("--smoke") || "rgba(0,0,0,0.12)";
  const hidden: uPlot.Series = {
    scale: "ms",
    stroke: "transparent",
    width: 0,
    points: { show: false },
    spanGaps: false,
  };
  const series: uPlot.Series[] = [{}];
  for (let d = 0; d < 9; d++) {
    series.push({ ...hidden, label: `p${(d + 1) * 10}` });
  }
  for (const c of LOSS_CLASSES) {
    series.push({
      label: `median, loss ${c.label}`,
      scale: "ms",
      stroke: c.color,
      width: 2,
      spanGaps: false,
      points: { show: false },
    });
  }
  const lost = cssVar("--danger") || "#ff0000";
  series.push({
    label: "all lost",
    scale: "mark",
    stroke: lost,
    paths: () => null,
    points: { show: true, size: 5, width: 0, fill: lost, stroke: lost },
  });
  return {
    width,
    height,
    legend: { show: false },
    cursor: {
      drag: { x: true, y: false, setScale: false },
      points: { show: false },
    },
    select: { show: true, left: 0, top: 0, width: 0, height: 0 },
    scales: {
      x: {
        time: true,
        range: () => {
          const v = view();
          return [v.from / 1000, v.to / 1000];
        },
      },
      ms: {
        range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1],
      },
      mark: { range: [0, 1.04] },
    },
    bands: BAND_PAIRS.map(([lo, hi]) => ({
      series: [COL.decile(hi), COL.decile(lo)] as [number, number],
      fill: smoke,
    })),
    series,
    axes: [
      axis(),
      axis({ scale: "ms", label: "RTT (ms)", size: 60, values: msTicks }),
    ],
    hooks,
  };
}
