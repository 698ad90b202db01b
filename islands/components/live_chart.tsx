// One uPlot chart of a target, created once in the browser; new data is drawn
// at most once per animation frame however fast events arrive. It follows the
// theme (recreated on "pla-theme" and for print) and the width of its container.
import { useRef } from "preact/hooks";
import type uPlot from "uplot";
import { type ChartKind, chartOptions } from "../client/chart_options.ts";
import { liveBandData } from "../client/fold_series.ts";
import type { LiveStore } from "../client/live_store.ts";
import { useLivePlot } from "../client/use_live_plot.ts";

const HEIGHT = { rtt: 220, quality: 150 };

function dataOf(
  store: LiveStore,
  kind: ChartKind,
  slot: number,
): uPlot.AlignedData {
  if (kind === "rtt") {
    return liveBandData(
      store.folded[slot],
      store.probes[slot],
    ) as uPlot.AlignedData;
  }
  const q = store.quality(slot);
  return [q.x, q.loss, q.jitter];
}

export function LiveChart(
  { store, kind, slot, label }: {
    store: LiveStore;
    kind: ChartKind;
    slot: number;
    label: string;
  },
) {
  const box = useRef<HTMLDivElement>(null);
  useLivePlot(
    box,
    (width) => chartOptions(kind, width, HEIGHT[kind]),
    (plot, el) => {
      const data = dataOf(store, kind, slot);
      plot.setData(data);
      // The quality chart spans the same time as the RTT chart above it.
      const x = store.probes[slot].x;
      const first = store.folded[slot].b[0]?.x ?? x[0];
      if (kind === "quality" && x.length > 1) {
        plot.setScale("x", { min: first, max: x[x.length - 1] });
      }
      el.dataset.points = String(data[0].length);
      if (kind === "rtt") {
        el.dataset.lost = String(store.probes[slot].lostCount);
      }
    },
    store.version,
    [store, kind, slot],
    HEIGHT[kind],
  );
  return (
    <div
      ref={box}
      class={`chart chart-${kind}`}
      role="img"
      aria-label={label}
      {...(kind === "rtt"
        ? { "data-testid": "chart", "data-target": store.meta.targets[slot].id }
        : { "data-testid": "quality-chart" })}
      data-points="0"
    />
  );
}
