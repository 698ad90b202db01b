// The page theme: read from <html data-theme>, switched and remembered here;
// charts listen for the "pla-theme" event to redraw in the new colours.
export type Theme = "light" | "dark";

export const currentTheme = (): Theme =>
  document.documentElement.dataset.theme === "dark" ? "dark" : "light";

export function setTheme(theme: Theme): void {
  try {
    localStorage.setItem("pla-theme", theme);
  } catch { /* storage blocked: the choice lasts for this page only */ }
  document.documentElement.dataset.theme = theme;
  document.dispatchEvent(new CustomEvent("pla-theme"));
}

/** A CSS custom property of the root element, e.g. cssVar("--accent"). */
export const cssVar = (name: string): string =>
  getComputedStyle(document.documentElement).getPropertyValue(name).trim();
