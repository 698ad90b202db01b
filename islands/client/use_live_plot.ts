// A uPlot fed by a signal, for every chart of the pages: created once (again
// for a new theme or for print, since its colours are fixed at creation),
// redrawn at most once per animation frame however many changes come in
// between, and, given a height, as wide as its container.
import { type RefObject } from "preact";
import { useEffect } from "preact/hooks";
import uPlot from "uplot";

/** What announces new data: a signal (its subscribe also calls back at once). */
export interface Changes {
  subscribe(fn: () => void): () => void;
}

/**
 * Draws into `box`: `options(width)` makes the plot, `draw(plot, el, fresh)`
 * sets its data (`fresh`: the plot was just made), called on each change of
 * `changes`, batched to an animation frame. Rebuilt when `deps` change. With
 * `height`, the plot follows its container's width (at least 200 px).
 */
export function useLivePlot(
  box: RefObject<HTMLDivElement>,
  options: (width: number) => uPlot.Options,
  draw: (plot: uPlot, el: HTMLDivElement, fresh: boolean) => void,
  changes: Changes,
  deps: readonly unknown[],
  height?: number,
): void {
  useEffect(() => {
    const el = box.current!;
    let plot: uPlot | null = null;
    let frame = 0;
    const width = () => Math.max(200, el.clientWidth);
    const redraw = () => {
      frame = 0;
      draw(plot!, el, false);
    };
    const create = () => {
      plot?.destroy();
      const o = options(width());
      const empty = o.series.map((): number[] => []);
      plot = new uPlot(o, empty as unknown as uPlot.AlignedData, el);
      draw(plot, el, true);
    };
    create();
    const unwatch = changes.subscribe(() => {
      frame ||= requestAnimationFrame(redraw);
    });
    const resize = height === undefined ? null : new ResizeObserver(() => {
      if (plot && plot.width !== width()) {
        plot.setSize({ width: width(), height });
      }
    });
    resize?.observe(el);
    document.addEventListener("pla-theme", create);
    const print = matchMedia("print");
    print.addEventListener("change", create);
    return () => {
      unwatch();
      cancelAnimationFrame(frame);
      resize?.disconnect();
      document.removeEventListener("pla-theme", create);
      print.removeEventListener("change", create);
      plot?.destroy();
    };
  }, deps);
}
