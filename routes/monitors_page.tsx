// GET /monitors: every monitor with its state, a sparkline of the last 3 hours
// and its latest figures, grouped like the servers. Without script the
// states and figures are there; the sparklines need script.
import type { MonitorStatus } from "../model/monitor.ts";
import MonitorList from "../islands/MonitorList.tsx";
import { Island } from "./island.tsx";
import type { Page } from "./layout.tsx";

export function monitorsPage(monitors: MonitorStatus[]): Page {
  const alerting = monitors.filter((m) => m.state === "alerting").length;
  return {
    title: "Monitors",
    nav: "monitors",
    script: "monitors.js",
    body: (
      <>
        <div class="page-title">
          <h1>Monitors</h1>
          <p class="muted" data-testid="monitor-count">
            {monitors.length} {monitors.length === 1 ? "monitor" : "monitors"}
            {alerting > 0 && `, ${alerting} alerting`}
          </p>
        </div>
        <Island
          name="MonitorList"
          component={MonitorList}
          props={{ monitors }}
        />
      </>
    ),
  };
}
