// One uPlot chart of a target, created once in the browser; new data is drawn
// at most once per animation frame however fast events arrive. It follows the
// theme (recreated on "pla-theme" and for print) and the width of its container.
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import { type ChartKind, chartOptions } from "../client/chart_options.ts";
import { liveBandData } from "../client/fold_series.ts";
import type { LiveStore } from "../client/live_store.ts";

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
  useEffect(() => {
    const el = box.current!;
    let plot: uPlot | null = null;
    let frame = 0;
    const width = () => Math.max(200, el.clientWidth);
    const draw = () => {
      frame = 0;
      const data = dataOf(store, kind, slot);
      plot!.setData(data);
      // The quality chart spans the same time as the RTT chart above it.
      const x = store.probes[slot].x;
      const first = store.folded[slot].b[0]?.x ?? x[0];
      if (kind === "quality" && x.length > 1) {
        plot!.setScale("x", { min: first, max: x[x.length - 1] });
      }
      el.dataset.points = String(data[0].length);
      if (kind === "rtt") {
        el.dataset.lost = String(store.probes[slot].lostCount);
      }
    };
    // Colours are fixed at creation: a new theme or print means a new chart.
    const create = () => {
      plot?.destroy();
      const opts = chartOptions(kind, width(), HEIGHT[kind]);
      plot = new uPlot(opts, dataOf(store, kind, slot), el);
      draw();
    };
    create();
    const unwatch = store.version.subscribe(() => {
      frame ||= requestAnimationFrame(draw);
    });
    const resize = new ResizeObserver(() => {
      if (plot && plot.width !== width()) {
        plot.setSize({ width: width(), height: HEIGHT[kind] });
      }
    });
    resize.observe(el);
    document.addEventListener("pla-theme", create);
    const print = matchMedia("print");
    print.addEventListener("change", create);
    return () => {
      unwatch();
      cancelAnimationFrame(frame);
      resize.disconnect();
      document.removeEventListener("pla-theme", create);
      print.removeEventListener("change", create);
      plot?.destroy();
    };
  }, [store, kind, slot]);
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
