// One chart of a finished test's target drawn from the server's series: the
// RTT band (drag to zoom) or loss and jitter. Created once (again for a new
// theme or print); new data is set at most once per animation frame.
import { useRef } from "preact/hooks";
import type uPlot from "uplot";
import { withDragZoom } from "../client/band_options.ts";
import { chartOptions } from "../client/chart_options.ts";
import { bandData, qualityData, seriesFacts } from "../client/series_data.ts";
import type { SeriesStore } from "../client/series_store.ts";
import { useLivePlot } from "../client/use_live_plot.ts";

const HEIGHT = { rtt: 220, quality: 150 };

export function SeriesChart(
  { store, kind, slot, target, label }: {
    store: SeriesStore;
    kind: "rtt" | "quality";
    slot: number;
    target: string;
    label: string;
  },
) {
  const box = useRef<HTMLDivElement>(null);
  useLivePlot(
    box,
    (width) =>
      kind === "rtt"
        ? withDragZoom(
          chartOptions("rtt", width, HEIGHT.rtt),
          (from, to) => store.zoom({ from, to }),
        )
        : chartOptions("quality", width, HEIGHT.quality),
    (plot, el) => {
      const r = store.data.value;
      if (!r || !r.targets[slot]) return;
      const s = r.targets[slot];
      plot.setData(
        (kind === "rtt" ? bandData(s, r.bucket_ms) : qualityData(
          s,
          r.bucket_ms,
        )) as uPlot.AlignedData,
      );
      // The range asked for, even where it holds no probes at its ends.
      if (r.to > r.from) {
        plot.setScale("x", { min: r.from / 1000, max: r.to / 1000 });
      }
      const facts = seriesFacts(r, slot);
      Object.assign(el.dataset, {
        points: String(facts.points),
        from: String(r.from),
        to: String(r.to),
        raw: String(r.raw),
      });
      if (kind === "rtt") {
        Object.assign(el.dataset, {
          lost: String(facts.lost),
          marks: String(facts.marks),
          max: String(facts.max),
        });
      }
    },
    store.data,
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
        ? { "data-testid": "chart", "data-target": target }
        : { "data-testid": "quality-chart" })}
      data-points="0"
    />
  );
}
