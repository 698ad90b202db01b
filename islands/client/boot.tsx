// The dashboard's bundle: hydrates its islands (test pages: boot_tests.tsx).
import Dashboard from "../Dashboard.tsx";
import ThemeToggle from "../ThemeToggle.tsx";
import { hydrateIslands } from "./hydrate.ts";

hydrateIslands({ Dashboard, ThemeToggle });

// The dashboard pushes /tests/{id} on Start; going back shows the page anew.
addEventListener("popstate", () => location.reload());
