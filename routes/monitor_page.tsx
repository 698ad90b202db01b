// GET /monitors/{id}: one monitor's smoke chart, figures and alerts.
import SmokeChart from "../islands/SmokeChart.tsx";
import type { MonitorStatus } from "../model/monitor.ts";
import { Island } from "./island.tsx";
import type { Page } from "./layout.tsx";
import type { MonitorDetail } from "./monitor_data.ts";

export function monitorPage(m: MonitorDetail, readOnly: boolean): Page {
  // The island's props: the status (plain JSON), not the spec's alert rules.
  const { spec, ...status } = m;
  const monitor: MonitorStatus = status;
  const rules = spec.alerts;
  return {
    title: `Monitor ${m.server_name}`,
    nav: "monitors",
    script: "monitors.js",
    body: (
      <>
        <div class="page-title">
          <h1>{m.server_name}</h1>
          <p class="muted" data-testid="monitor-plan">
            Monitor <code>{m.id}</code> · {m.mode} to{" "}
            <code>{m.address ?? m.server}</code> · {m.probes} probes every{" "}
            {m.step_s} s
          </p>
          <a class="button no-print" href="/monitors">All monitors</a>
        </div>
        <Island
          name="SmokeChart"
          component={SmokeChart}
          props={{ monitor, readOnly }}
        />
        {rules.length > 0 && (
          <section class="card rules" aria-label="Alert rules">
            <h2>Alert rules</h2>
            <ul data-testid="alert-rules">
              {rules.map((r) => (
                <li key={r.name}>
                  <strong>{r.name}</strong>: {r.loss_pct_above !== undefined
                    ? `loss above ${r.loss_pct_above} %`
                    : r.median_rtt_ms_above !== undefined
                    ? `median RTT above ${r.median_rtt_ms_above} ms`
                    : `jitter above ${r.jitter_ms_above} ms`} for {r.for_steps}
                  {" "}
                  {r.for_steps === 1 ? "step" : "steps"}
                  {r.notify.length > 0 && `, notifies ${r.notify.join(", ")}`}
                </li>
              ))}
            </ul>
          </section>
        )}
      </>
    ),
  };
}
