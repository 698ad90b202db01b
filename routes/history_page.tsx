// GET /tests: past and running tests, filtered by server, status and dates with
// a plain GET form, so it works without script too.
import type { Config } from "../server/config.ts";
import type { TargetReport, TestMeta } from "../server/test_meta.ts";
import { testStatus } from "../server/test_meta.ts";
import { fmtMs, fmtPct, fmtPlan, fmtTime } from "../components/format.ts";
import { renderPage } from "./layout.tsx";

export interface HistoryRow {
  meta: TestMeta;
  summary: TargetReport[] | null;
}

export interface HistoryView {
  rows: HistoryRow[];
  /** The filter values as given, to show in the form and keep in links. */
  filters: Record<string, string>;
  next_cursor: string | null;
  error: string | null;
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

function Filters({ config, f }: { config: Config; f: Record<string, string> }) {
  return (
    <form class="panel filters" method="get" action="/tests">
      <div class="field">
        <label for="h-target">Server</label>
        <select id="h-target" name="target">
          <option value="">Any</option>
          {config.servers.map((s) => (
            <option value={s.id} selected={f.target === s.id}>{s.name}</option>
          ))}
        </select>
      </div>
      <div class="field">
        <label for="h-status">Status</label>
        <select id="h-status" name="status">
          <option value="">Any</option>
          {testStatus.options.map((s) => (
            <option value={s} selected={f.status === s}>{s}</option>
          ))}
        </select>
      </div>
      <div class="field">
        <label for="h-from">From</label>
        <input id="h-from" type="date" name="from" value={f.from ?? ""} />
      </div>
      <div class="field">
        <label for="h-to">To</label>
        <input id="h-to" type="date" name="to" value={f.to ?? ""} />
      </div>
      <div class="actions">
        <button type="submit" class="primary">Filter</button>
        <a class="button" href="/tests">Clear</a>
      </div>
    </form>
  );
}

export function historyPage(config: Config, view: HistoryView): string {
  const { rows, filters, next_cursor, error } = view;
  const more = next_cursor &&
    `/tests?${new URLSearchParams({ ...filters, cursor: next_cursor })}`;
  return renderPage(
    "History",
    "history",
    <>
      <div class="page-title">
        <h1>History</h1>
        <a class="button" href="/">New test</a>
      </div>
      <Filters config={config} f={filters} />
      {error && <p class="error" role="alert">{error}</p>}
      <div class="table-wrap">
        <table class="history stack">
          <caption>{rows.length ? "Tests, newest first" : "Tests"}</caption>
          <thead>
            <tr>
              <th scope="col">Test</th>
              <th scope="col">Status</th>
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
                  <th scope="row">
                    <a href={`/tests/${encodeURIComponent(meta.id)}`}>
                      {fmtTime(meta.created_at)}
                    </a>
                    <small>{meta.id}</small>
                  </th>
                  <td data-label="Status">
                    <span class={`badge s-${meta.status}`}>{meta.status}</span>
                  </td>
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
        {!rows.length && (
          <p class="empty muted">
            No tests{" "}
            {Object.keys(filters).length ? "match these filters" : "yet"}.{" "}
            <a href="/">Start one</a>.
          </p>
        )}
      </div>
      {more && (
        <p class="pager">
          <a class="button" href={more}>Older tests →</a>
        </p>
      )}
    </>,
  );
}
