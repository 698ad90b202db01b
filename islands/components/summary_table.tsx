// The figures of a test, one row per target: the text alternative of the charts,
// rendered on the server for a finished test and updated live by the islands.
import type { TargetReport, TestTarget } from "../../model/run.ts";
import type { ProbeSpec } from "../../model/probe.ts";
import { fmtMs, fmtNum, fmtPct } from "./format.ts";
import { probeKindText } from "./tls_phases.tsx";

/** A target's link quality in one word, from what has been measured so far. */
export function targetVerdict(r: TargetReport | null | undefined): string {
  if (!r || r.sent - r.pending === 0) return "waiting";
  if (r.received === 0) return "unreachable";
  if (r.loss_pct === 0 && (r.mos ?? 0) >= 4) return "good";
  if (r.loss_pct < 2 && (r.mos ?? 0) >= 3.6) return "fair";
  return "poor";
}

const COLUMNS: [string, string, (r: TargetReport) => string][] = [
  ["sent", "Sent", (r) => String(r.sent)],
  ["received", "Received", (r) => String(r.received)],
  ["loss", "Loss", (r) => fmtPct(r.loss_pct)],
  ["min", "Min", (r) => fmtMs(r.min_rtt_ms)],
  ["avg", "Avg", (r) => fmtMs(r.avg_rtt_ms)],
  ["max", "Max", (r) => fmtMs(r.max_rtt_ms)],
  ["p95", "p95", (r) => fmtMs(r.p95_rtt_ms)],
  ["jitter", "Jitter", (r) => fmtMs(r.jitter_ms)],
  ["mos", "MOS", (r) => fmtNum(r.mos, 2)],
];

export function SummaryTable(
  { targets, reports, probe }: {
    targets: TestTarget[];
    /** Per target (same order), the latest statistics or null before any. */
    reports: (TargetReport | null | undefined)[];
    /** TCP and TLS tests: a Probe column (kind:port). */
    probe?: ProbeSpec;
  },
) {
  return (
    <div class="table-wrap">
      <table data-testid="summary" class="summary stack">
        <caption>Per-target statistics</caption>
        <thead>
          <tr>
            <th scope="col">Target</th>
            {probe && <th scope="col" data-col="probe">Probe</th>}
            {COLUMNS.map(([col, label]) => (
              <th scope="col" class="num" data-col={col}>{label}</th>
            ))}
            <th scope="col">Status</th>
          </tr>
        </thead>
        <tbody>
          {targets.map((t, i) => {
            const r = reports[i];
            const verdict = targetVerdict(r);
            return (
              <tr data-target={t.id} key={t.id}>
                <th scope="row">
                  {t.name}
                  <small>{t.address ?? t.host}</small>
                </th>
                {probe && (
                  <td data-col="probe" data-label="Probe">
                    {probeKindText(probe)}
                  </td>
                )}
                {COLUMNS.map(([col, label, cell]) => (
                  <td class="num" data-col={col} data-label={label}>
                    {r ? cell(r) : "–"}
                  </td>
                ))}
                <td data-col="status" data-label="Status">
                  <span class={`badge v-${verdict}`}>{verdict}</span>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
