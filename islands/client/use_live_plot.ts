// A small uPlot fed by a signal, for the sparklines: created once (again for a
// new theme or for print, since its colours are fixed at creation), redrawn
// at most once per animation frame however many changes come in between.
import { type RefObject } from "preact";
import { useEffect } from "preact/hooks";
import uPlot from "uplot";

/** What announces new data: a signal (its subscribe also calls back at once). */
export interface Changes {
  subscribe(fn: () => void): () => void;
}

/**
 * Draws into `box`: `options()` makes the plot, `draw(plot, el, fresh)` sets
 * its data (`fresh`: the plot was just made), called on each change of
 * `changes`, batched to an animation frame. Rebuilt when `deps` change.
 */
export function useLivePlot(
  box: RefObject<HTMLDivElement>,
  options: () => uPlot.Options,
  draw: (plot: uPlot, el: HTMLDivElement, fresh: boolean) => void,
  changes: Changes,
  deps: readonly unknown[],
): void {
  useEffect(() => {
    const el = box.current!;
    let plot: uPlot | null = null;
    let frame = 0;
    const redraw = () => {
      frame = 0;
      draw(plot!, el, false);
    };
    const create = () => {
      plot?.destroy();
      const o = options();
      const empty = o.series.map((): number[] => []);
      plot = new uPlot(o, empty as unknown as uPlot.AlignedData, el);
      draw(plot, el, true);
    };
    create();
    const unwatch = changes.subscribe(() => {
      frame ||= requestAnimationFrame(redraw);
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
  }, deps);
}
