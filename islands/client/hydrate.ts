// Hydrates each island the server marked with data-island; its props are the
// JSON data block named by data-props (no inline script, CSP-safe).
import { type FunctionComponent, h, hydrate } from "preact";

export function hydrateIslands(
  // deno-lint-ignore no-explicit-any
  islands: Record<string, FunctionComponent<any>>,
): void {
  for (const el of document.querySelectorAll<HTMLElement>("[data-island]")) {
    const island = islands[el.dataset.island!];
    const data = el.dataset.props && document.getElementById(el.dataset.props);
    if (!island) continue;
    hydrate(h(island, data ? JSON.parse(data.textContent!) : {}), el);
  }
}
