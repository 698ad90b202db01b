// The test and compare pages' bundle (/tests/{id}, /compare): their own, so
// the finished-test series view and the compare charts do not weigh on the
// dashboard's JavaScript budget.
import Compare from "../Compare.tsx";
import TestView from "../TestView.tsx";
import ThemeToggle from "../ThemeToggle.tsx";
import { hydrateIslands } from "./hydrate.ts";

hydrateIslands({ Compare, TestView, ThemeToggle });

// Zooming pushes ?from=&to=; going back shows that range anew, as does a
// page the dashboard pushed on Start.
addEventListener("popstate", () => location.reload());
