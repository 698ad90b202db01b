// uPlot options and data of a device test's two charts: the RTT of every
// packet with its loss marked by direction, and loss and jitter per report.
import type uPlot from "uplot";
import { cssVar } from "./theme.ts";
import type { DeviceStore } from "./device_store.ts";

export type DeviceChartKind = "rtt" | "quality";

const axis = (o: uPlot.Axis = {}): uPlot.Axis => ({
  stroke: cssVar("--muted"),
  grid: { stroke: cssVar("--grid"), width: 1 },
  ticks: { stroke: cssVar("--grid"), width: 1 },
  ...o,
});

const markers = (label: string, color: string): uPlot.Series => ({
  label,
  scale: "mark",
  stroke: color,
  paths: () => null,
  points: { show: true, size: 7, width: 0, fill: color, stroke: color },
});

const ms = (_u: uPlot, v: number | null) =>
  v === null ? "–" : `${v.toFixed(3)} ms`;
const pct = (_u: uPlot, v: number | null) =>
  v === null ? "–" : `${v.toFixed(1)} %`;

export function deviceChartOptions(
  kind: DeviceChartKind,
  width: number,
  height: number,
): uPlot.Options {
  const base = {
    width,
    height,
    cursor: { drag: { x: false, y: false } },
  };
  if (kind === "rtt") {
    return {
      ...base,
      scales: {
        x: { time: false },
        ms: { range: (_u, _min, max) => [0, max > 0 ? max * 1.15 : 1] },
        // Lost up at the top edge, lost down just below it.
        mark: { range: [0, 1.05] },
      },
      series: [
        { label: "packet" },
        {
          label: "RTT",
          scale: "ms",
          stroke: cssVar("--accent"),
          width: 1.5,
          value: ms,
        },
        markers("lost up", cssVar("--danger")),
        markers("lost down", cssVar("--warn")),
      ],
      axes: [
        axis({ label: "packet" }),
        axis({ scale: "ms", label: "RTT (ms)", size: 60 }),
      ],
    };
  }
  return {
    ...base,
    scales: {
      x: { time: false },
      pct: { range: [0, 100] },
      ms: { range: (_u, _min, max) => [0, max > 0 ? max * 1.15 : 1] },
    },
    series: [
      { label: "s" },
      {
        label: "loss up",
        scale: "pct",
        stroke: cssVar("--danger"),
        width: 1,
        value: pct,
      },
      {
        label: "loss down",
        scale: "pct",
        stroke: cssVar("--warn"),
        width: 1,
        value: pct,
      },
      {
        label: "jitter up",
        scale: "ms",
        stroke: cssVar("--accent"),
        width: 1.5,
        value: ms,
      },
      {
        label: "jitter down",
        scale: "ms",
        stroke: cssVar("--accent-2"),
        width: 1.5,
        value: ms,
      },
    ],
    axes: [
      axis({ label: "seconds" }),
      axis({ scale: "ms", label: "jitter (ms)", size: 60 }),
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

export function deviceChartData(
  s: DeviceStore,
  kind: DeviceChartKind,
): uPlot.AlignedData {
  if (kind === "rtt") {
    const down = s.down.map((v) => v === null ? null : 0.97);
    return [s.x, s.rtt, s.up, down] as uPlot.AlignedData;
  }
  return [
    s.t,
    s.upLoss,
    s.downLoss,
    s.upJitter,
    s.downJitter,
  ] as uPlot.AlignedData;
}
