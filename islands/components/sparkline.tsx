// A hop's RTT over the reports as a small uPlot, created once per row (and
// for a new theme or print); new points drawn at most once per animation
// frame (client/use_live_plot.ts).
import { useRef } from "preact/hooks";
import uPlot from "uplot";
import type { PathState } from "../client/path_state.ts";
import { cssVar } from "../client/theme.ts";
import { useLivePlot } from "../client/use_live_plot.ts";

const WIDTH = 120;
const HEIGHT = 28;

function options(): uPlot.Options {
  return {
    width: WIDTH,
    height: HEIGHT,
    legend: { show: false },
    cursor: { show: false },
    scales: {
      x: { time: false },
      ms: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] },
    },
    series: [{}, {
      scale: "ms",
      stroke: cssVar("--accent"),
      width: 1.25,
      points: { show: false },
    }],
    axes: [{ show: false }, { show: false, scale: "ms" }],
  };
}

export function Sparkline(
  { path, hop, label }: { path: PathState; hop: number; label: string },
) {
  const box = useRef<HTMLDivElement>(null);
  const s = path.seriesOf(hop);
  let drawn = -1;
  useLivePlot(
    box,
    options,
    (plot, el, fresh) => {
      if (!fresh && s.x.length === drawn) return;
      drawn = s.x.length;
      plot.setData([s.x, s.rtt]);
      el.dataset.points = String(drawn);
    },
    path.version,
    [path, hop],
  );
  return (
    <div
      ref={box}
      class="spark"
      role="img"
      aria-label={label}
      data-testid="hop-spark"
      data-points="0"
    />
  );
}
