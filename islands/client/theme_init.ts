// Loaded synchronously in <head> (a CSP-safe <script src>, never inline) so the
// remembered or system theme is on <html data-theme> before the first paint.
const KEY = "pla-theme";
const media = matchMedia("(prefers-color-scheme: dark)");
const stored = () => {
  try {
    const v = localStorage.getItem(KEY);
    return v === "light" || v === "dark" ? v : null;
  } catch {
    return null; // storage blocked: follow the system
  }
};
const apply = () => {
  const theme = stored() ?? (media.matches ? "dark" : "light");
  if (document.documentElement.dataset.theme === theme) return;
  document.documentElement.dataset.theme = theme;
  document.dispatchEvent(new CustomEvent("pla-theme"));
};
document.documentElement.classList.add("js");
apply();
// Follow the system while the user has not chosen.
media.addEventListener("change", apply);
