// The dashboard and test pages' bundle: hydrates their islands.
import Compare from "../Compare.tsx";
import Dashboard from "../Dashboard.tsx";
import TestView from "../TestView.tsx";
import ThemeToggle from "../ThemeToggle.tsx";
import { hydrateIslands } from "./hydrate.ts";

hydrateIslands({ Compare, Dashboard, TestView, ThemeToggle });

// The dashboard pushes /tests/{id} on Start; going back shows the page anew.
addEventListener("popstate", () => location.reload());
