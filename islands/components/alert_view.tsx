// The alert timeline under the smoke chart: one row of bars per alert over
// the chart's time range (firing to resolved), and the list of changes.
import type { AlertEvent } from "../../model/monitor.ts";
import { alertIntervals, alertNames, clipToView } from "./alert_timeline.ts";
import { fmtNum, fmtTime } from "./format.ts";

const UNIT = {
  loss_pct: "%",
  median_rtt_ms: "ms",
  jitter_ms: "ms",
  cert_days_left: "days",
} as const;
const ROW = 18;

export function AlertTimeline(
  { alerts, from, to, now }: {
    alerts: AlertEvent[];
    from: number;
    to: number;
    now: number;
  },
) {
  const ivs = alertIntervals(alerts);
  const names = alertNames(ivs);
  const list = [...alerts].sort((a, b) => Date.parse(b.at) - Date.parse(a.at));
  return (
    <section
      class="card alerts"
      aria-label="Alerts"
      data-testid="alert-timeline"
    >
      <h2>Alerts</h2>
      {names.length > 0 && (
        <svg
          class="alert-bars"
          role="img"
          aria-label="Alert timeline over the chart's range"
          width="100%"
          height={names.length * ROW}
          data-testid="alert-bars"
        >
          {names.map((name, row) =>
            ivs.filter((iv) => iv.alert === name).map((iv) => {
              const c = clipToView(iv, from, to, now);
              if (!c) return null;
              return (
                <rect
                  key={`${name}-${iv.from}`}
                  class={iv.to === null ? "bar firing" : "bar resolved"}
                  data-alert={name}
                  x={`${(c.left * 100).toFixed(3)}%`}
                  y={row * ROW + 3}
                  width={`${Math.max(0.2, c.width * 100).toFixed(3)}%`}
                  height={ROW - 6}
                  rx="2"
                >
                  <title>
                    {name}: {fmtTime(new Date(iv.from).toISOString())} –{" "}
                    {iv.to === null
                      ? "still firing"
                      : fmtTime(new Date(iv.to).toISOString())}
                  </title>
                </rect>
              );
            })
          )}
          {names.map((name, row) => (
            <text key={name} x="4" y={row * ROW + ROW - 5} class="bar-label">
              {name}
            </text>
          ))}
        </svg>
      )}
      {list.length
        ? (
          <div class="table-wrap">
            <table class="alert-list stack">
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Alert</th>
                  <th scope="col">State</th>
                  <th scope="col" class="num">Value</th>
                  <th scope="col" class="num">Threshold</th>
                </tr>
              </thead>
              <tbody>
                {list.map((a) => (
                  <tr
                    key={a.id}
                    data-testid="alert-event"
                    data-state={a.state}
                    data-alert={a.alert}
                  >
                    <th scope="row">{fmtTime(a.at)}</th>
                    <td data-label="Alert">{a.alert}</td>
                    <td data-label="State">
                      <span
                        class={`badge ${
                          a.state === "firing" ? "a-firing" : "a-resolved"
                        }`}
                      >
                        {a.state === "firing" ? "firing" : "resolved"}
                      </span>
                    </td>
                    <td class="num" data-label="Value">
                      {a.value === null ? "–" : fmtNum(a.value, 2)}{" "}
                      {UNIT[a.metric]}
                    </td>
                    <td class="num" data-label="Threshold">
                      {fmtNum(a.threshold, 2)} {UNIT[a.metric]}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )
        : <p class="muted empty">No alerts.</p>}
    </section>
  );
}
