// One chart of a device test, created once; redrawn at most once a frame.
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import {
  deviceChartData,
  type DeviceChartKind,
  deviceChartOptions,
} from "../client/device_charts.ts";
import type { DeviceStore } from "../client/device_store.ts";

const HEIGHT = { rtt: 220, quality: 150 };

export function DeviceChart(
  { store, kind, label }: {
    store: DeviceStore;
    kind: DeviceChartKind;
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
      plot!.setData(deviceChartData(store, kind));
      el.dataset.points = String(
        kind === "rtt"
          ? store.rtt.filter((v) => v !== null).length
          : store.t.length,
      );
      if (kind === "rtt") {
        el.dataset.lostUp = String(store.up.filter((v) => v).length);
        el.dataset.lostDown = String(store.down.filter((v) => v).length);
      }
    };
    const create = () => {
      plot?.destroy();
      plot = new uPlot(
        deviceChartOptions(kind, width(), HEIGHT[kind]),
        deviceChartData(store, kind),
        el,
      );
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
    return () => {
      unwatch();
      cancelAnimationFrame(frame);
      resize.disconnect();
      document.removeEventListener("pla-theme", create);
      plot?.destroy();
    };
  }, [store, kind]);
  return (
    <figure class="chart">
      <figcaption>{label}</figcaption>
      <div ref={box} data-testid={`device-chart-${kind}`} />
    </figure>
  );
}
