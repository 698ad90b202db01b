// The table of tests (history page, and the recent ones on the dashboard):
// one row per test, linking to its page.
import type { ComponentChildren } from "preact";
import type { TargetReport, TestMeta } from "../../model/run.ts";
import {
  fmtMs,
  fmtPct,
  fmtPlan,
  fmtTime,
} from "../../islands/components/format.ts";

export interface HistoryRow {
  meta: TestMeta;
  summary: TargetReport[] | null;
}

/** Totals over a test's targets: sent, loss %, mean RTT. */
function totals(summary: TargetReport[] | null) {
  if (!summary?.length) return null;
  const sent = summary.reduce((a, r) => a + r.sent, 0);
  const lost = summary.reduce((a, r) => a + r.lost, 0);
  const settled = summary.reduce((a, r) => a + r.sent - r.pending, 0);
  const rtts = summary.filter((r) => r.avg_rtt_ms !== null);
  const avg = rtts.length
    ? rtts.reduce((a, r) => a + r.avg_rtt_ms! * r.received, 0) /
      Math.max(1, rtts.reduce((a, r) => a + r.received, 0))
    : null;
  return { sent, loss: settled ? (lost / settled) * 100 : null, avg };
}

export function HistoryTable(
  { rows, caption, empty, compareForm }: {
    rows: HistoryRow[];
    caption: string;
    /** Id of a form to /compare: a checkbox per finished test joins it. */
    compareForm?: string;
    /** Shown instead of rows when there are none. */
    empty: ComponentChildren;
  },
) {
  return (
    <div class="table-wrap">
      <table class="history stack">
        <caption>{caption}</caption>
        <thead>
          <tr>
            {compareForm && <th scope="col">Compare</th>}
            <th scope="col">Test</th>
            <th scope="col">Status</th>
            <th scope="col">Mode</th>
            <th scope="col">Servers</th>
            <th scope="col">Settings</th>
            <th scope="col" class="num">Sent</th>
            <th scope="col" class="num">Loss</th>
            <th scope="col" class="num">Avg RTT</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(({ meta, summary }) => {
            const t = totals(summary);
            return (
              <tr data-test-id={meta.id} key={meta.id}>
                {compareForm && (
                  <td data-label="Compare">
                    {meta.status !== "running" &&
                      meta.settings.mode !== "path" && (
                      <input
                        type="checkbox"
                        name="tests"
                        value={meta.id}
                        form={compareForm}
                        aria-label={`Compare test ${meta.id}`}
                        data-testid="compare-pick"
                      />
                    )}
                  </td>
                )}
                <th scope="row">
                  <a href={`/tests/${encodeURIComponent(meta.id)}`}>
                    {fmtTime(meta.created_at)}
                  </a>
                  <small>{meta.id}</small>
                </th>
                <td data-label="Status">
                  <span class={`badge s-${meta.status}`}>{meta.status}</span>
                </td>
                <td data-label="Mode">{meta.settings.mode ?? "ping"}</td>
                <td data-label="Servers">
                  {meta.targets.map((x) => x.name).join(", ")}
                </td>
                <td data-label="Settings">{fmtPlan(meta.settings)}</td>
                <td class="num" data-label="Sent">{t ? t.sent : "–"}</td>
                <td class="num" data-label="Loss">{fmtPct(t?.loss)}</td>
                <td class="num" data-label="Avg RTT">{fmtMs(t?.avg)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {!rows.length && <p class="empty muted">{empty}</p>}
    </div>
  );
}
