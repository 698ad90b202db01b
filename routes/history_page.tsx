// GET /tests: past and running tests, filtered by server, status and dates with
// a plain GET form, so it works without script too.
import type { Config } from "../server/config/config.ts";
import { testStatus } from "../model/run.ts";
import { type HistoryRow, HistoryTable } from "./components/history_table.tsx";
import type { Page } from "./layout.tsx";

export interface HistoryView {
  rows: HistoryRow[];
  /** The filter values as given, to show in the form and keep in links. */
  filters: Record<string, string>;
  next_cursor: string | null;
  error: string | null;
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

export function historyPage(config: Config, view: HistoryView): Page {
  const { rows, filters, next_cursor, error } = view;
  const more = next_cursor &&
    `/tests?${new URLSearchParams({ ...filters, cursor: next_cursor })}`;
  return {
    title: "History",
    nav: "history",
    body: (
      <>
        <div class="page-title">
          <h1>History</h1>
          <a class="button" href="/">New test</a>
        </div>
        <Filters config={config} f={filters} />
        {error && <p class="error" role="alert">{error}</p>}
        {rows.length > 1 && (
          <form
            id="compare-form"
            class="actions no-print"
            method="get"
            action="/compare"
          >
            <button type="submit" data-testid="compare">
              Compare selected
            </button>
            <span class="muted">
              Tick two or more finished tests to see them side by side.
            </span>
          </form>
        )}
        <HistoryTable
          rows={rows}
          compareForm={rows.length > 1 ? "compare-form" : undefined}
          caption={rows.length ? "Tests, newest first" : "Tests"}
          empty={
            <>
              No tests{" "}
              {Object.keys(filters).length ? "match these filters" : "yet"}.
              {" "}
              <a href="/">Start one</a>.
            </>
          }
        />
        {more && (
          <p class="pager">
            <a class="button" href={more}>Older tests →</a>
          </p>
        )}
      </>
    ),
  };
}
