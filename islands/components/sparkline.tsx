// A hop's RTT over the reports as a small uPlot, created once per row; new
// points are drawn at most once per animation frame. Recreated for a new
// theme or print (its colours are fixed at creation), as the big charts are.
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import type { PathState } from "../client/path_state.ts";
import { cssVar } from "../client/theme.ts";

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
  useEffect(() => {
    const el = box.current!;
    const s = path.seriesOf(hop);
    let plot: uPlot | null = null;
    let frame = 0;
    let drawn = -1;
    const draw = () => {
      frame = 0;
      if (s.x.length === drawn) return;
      drawn = s.x.length;
      plot!.setData([s.x, s.rtt]);
      el.dataset.points = String(drawn);
    };
    const create = () => {
      plot?.destroy();
      plot = new uPlot(options(), [s.x, s.rtt], el);
      drawn = -1;
      draw();
    };
    create();
    const unwatch = path.version.subscribe(() => {
      frame ||= requestAnimationFrame(draw);
    });
    document.addEventListener("pla-theme", create);
    const print = matchMedia("print");
    print.addEventListener("change", create);
    return () => {
      unwatch();
      cancelAnimationFrame(frame);
      document.removeEventListener("pla-theme", create);
      print.removeEventListener("change", create);
      plot?.destroy();
    };
  }, [path, hop]);
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
