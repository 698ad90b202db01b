// Island in the page header: switches light/dark and remembers the choice.
import { useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import { currentTheme, setTheme, type Theme } from "./client/theme.ts";

export default function ThemeToggle() {
  // Unknown on the server; the browser knows once hydrated.
  const theme = useSignal<Theme | null>(null);
  useEffect(() => {
    const sync = () => theme.value = currentTheme();
    sync();
    document.addEventListener("pla-theme", sync);
    return () => document.removeEventListener("pla-theme", sync);
  }, []);
  const next = theme.value === "dark" ? "light" : "dark";
  return (
    <button
      type="button"
      class="theme-toggle"
      data-testid="theme-toggle"
      aria-label={theme.value ? `Switch to ${next} theme` : "Switch theme"}
      onClick={() => setTheme(next)}
    >
      <span aria-hidden="true">{theme.value === "dark" ? "☀" : "☾"}</span>
    </button>
  );
}
