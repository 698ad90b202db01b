// The monitor pages' bundle (/monitors, /monitors/{id}): their own, so the
// smoke chart does not weigh on the dashboard's JavaScript budget.
import MonitorList from "../MonitorList.tsx";
import SmokeChart from "../SmokeChart.tsx";
import ThemeToggle from "../ThemeToggle.tsx";
import { hydrateIslands } from "./hydrate.ts";

hydrateIslands({ MonitorList, SmokeChart, ThemeToggle });
