// One chart of a device test, created once; redrawn at most once a frame
// (client/use_live_plot.ts).
import { useRef } from "preact/hooks";
import {
  deviceChartData,
  type DeviceChartKind,
  deviceChartOptions,
} from "../client/device_charts.ts";
import type { DeviceStore } from "../client/device_store.ts";
import { useLivePlot } from "../client/use_live_plot.ts";

const HEIGHT = { rtt: 220, quality: 150 };

export function DeviceChart(
  { store, kind, label }: {
    store: DeviceStore;
    kind: DeviceChartKind;
    label: string;
  },
) {
  const box = useRef<HTMLDivElement>(null);
  useLivePlot(
    box,
    (width) => deviceChartOptions(kind, width, HEIGHT[kind]),
    (plot, el) => {
      plot.setData(deviceChartData(store, kind));
      el.dataset.points = String(
        kind === "rtt"
          ? store.rtt.filter((v) => v !== null).length
          : store.t.length,
      );
      if (kind === "rtt") {
        el.dataset.lostUp = String(store.up.filter((v) => v).length);
        el.dataset.lostDown = String(store.down.filter((v) => v).length);
      }
    },
    store.version,
    [store, kind],
    HEIGHT[kind],
  );
  return (
    <figure class="chart">
      <figcaption>{label}</figcaption>
      <div ref={box} data-testid={`device-chart-${kind}`} />
    </figure>
  );
}
