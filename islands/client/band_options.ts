// The RTT band chart's data (chart_options.ts bandOptions draws it) and the
// finished-test charts' drag-to-zoom.
import type uPlot from "uplot";

/** Series order of the data: x, min, max, median, lost mark. */
export type BandData = [
  number[],
  (number | null)[],
  (number | null)[],
  (number | null)[],
  (number | null)[],
];

/** Drag across the chart to zoom: `onZoom` gets the range in epoch ms. */
export function withDragZoom(
  o: uPlot.Options,
  onZoom: (from: number, to: number) => void,
): uPlot.Options {
  return {
    ...o,
    cursor: { drag: { x: true, y: false, setScale: false } },
    hooks: {
      setSelect: [(u) => {
        const { left, width: w } = u.select;
        if (w < 3) return;
        const from = u.posToVal(left, "x") * 1000;
        const to = u.posToVal(left + w, "x") * 1000;
        u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
        onZoom(Math.round(from), Math.round(to));
      }],
    },
  };
}
