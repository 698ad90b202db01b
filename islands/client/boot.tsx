// Hydrates each island the server marked with data-island; its props are the
// JSON data block named by data-props (no inline script, CSP-safe).
import { type FunctionComponent, h, hydrate } from "preact";
import Dashboard from "../Dashboard.tsx";
import TestView from "../TestView.tsx";
import ThemeToggle from "../ThemeToggle.tsx";

// deno-lint-ignore no-explicit-any
const ISLANDS: Record<string, FunctionComponent<any>> = {
  Dashboard,
  TestView,
  ThemeToggle,
};

for (const el of document.querySelectorAll<HTMLElement>("[data-island]")) {
  const island = ISLANDS[el.dataset.island!];
  const data = el.dataset.props && document.getElementById(el.dataset.props);
  if (!island) continue;
  hydrate(h(island, data ? JSON.parse(data.textContent!) : {}), el);
}

// The dashboard pushes /tests/{id} on Start; going back shows the page anew.
addEventListener("popstate", () => location.reload());
