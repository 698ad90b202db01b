// A device test's result table: upload, download, round trip, and a verdict
// per preset. Rendered on the server too (the page without script).
import type { DeviceSummary } from "../../model/device.ts";
import { DEVICE_PRESETS } from "../../model/device_presets.ts";

const ms = (v: number | null) => v === null ? "–" : v.toFixed(3);

export function DeviceSummaryTable({ s }: { s: DeviceSummary | null }) {
  if (!s) return <p class="muted">No packets settled yet.</p>;
  const { upload: u, download: d, round_trip: t } = s;
  return (
    <div class="table-wrap">
      <table class="summary" data-testid="device-summary">
        <thead>
          <tr>
            <th>direction</th>
            <th>sent</th>
            <th>received</th>
            <th>lost</th>
            <th>loss</th>
            <th>jitter (ms)</th>
          </tr>
        </thead>
        <tbody>
          <tr data-testid="device-upload">
            <th>upload (device → server)</th>
            <td data-k="sent">{u.sent}</td>
            <td data-k="received">{u.received}</td>
            <td data-k="lost">{u.lost}</td>
            <td data-k="loss_pct">{u.loss_pct} %</td>
            <td>{ms(u.jitter_ms)}</td>
          </tr>
          <tr data-testid="device-download">
            <th>download (server → device)</th>
            <td data-k="echoed">{d.echoed}</td>
            <td data-k="received">{d.received}</td>
            <td data-k="lost">{d.lost}</td>
            <td data-k="loss_pct">{d.loss_pct} %</td>
            <td>{ms(d.jitter_ms)}</td>
          </tr>
        </tbody>
      </table>
      <table class="summary" data-testid="device-round-trip">
        <thead>
          <tr>
            <th>round trip</th>
            <th>in time</th>
            <th>late</th>
            <th>lost</th>
            <th>loss</th>
            <th>RTT min / avg / p95 / max (ms)</th>
            <th>MOS</th>
          </tr>
        </thead>
        <tbody>
          <tr>
            <th>{t.sent} sent</th>
            <td>{t.received}</td>
            <td data-k="late">{t.late}</td>
            <td>{t.lost}</td>
            <td>{t.loss_pct} %</td>
            <td>
              {ms(t.min_rtt_ms)} / {ms(t.avg_rtt_ms)} / {ms(t.p95_rtt_ms)} /
              {" "}
              {ms(t.max_rtt_ms)}
            </td>
            <td>{t.mos ?? "–"}</td>
          </tr>
        </tbody>
      </table>
      <ul class="verdicts" data-testid="device-verdicts">
        {s.verdicts.map((v) => (
          <li key={v.preset} class={v.pass ? "ok" : "bad"}>
            <strong>
              {DEVICE_PRESETS.find((p) => p.id === v.preset)?.name ?? v.preset}
            </strong>: {v.pass ? "pass" : `fail (${v.reasons.join(", ")})`}
          </li>
        ))}
      </ul>
      {s.dropped_messages > 0 && (
        <p class="muted" data-testid="device-dropped">
          {s.dropped_messages}{" "}
          data-channel messages were dropped unanswered (malformed, oversized or
          over the rate).
        </p>
      )}
    </div>
  );
}
