// The live view of one test: status, export links, a card per target with its
// RTT and quality charts, and the summary table. Used by both islands.
import { useEffect, useMemo } from "preact/hooks";
import type { LatestTls } from "../../model/probe.ts";
import type { TargetReport, TestMeta } from "../../model/run.ts";
import { followEvents } from "../client/follow_events.ts";
import { LiveStore } from "../client/live_store.ts";
import { fmtPlan, fmtTime } from "./format.ts";
import { LiveChart } from "./live_chart.tsx";
import { SummaryTable } from "./summary_table.tsx";
import { PathView } from "./path_view.tsx";
import { probeKindText, TlsPhases } from "./tls_phases.tsx";

/** A store for the test that follows its event stream while mounted. */
export function useLiveStore(
  meta: TestMeta,
  reports: TargetReport[] | null,
  /** False for a finished test drawn from its series: no replay. */
  follow = true,
  tls?: (LatestTls | null)[],
): LiveStore {
  const store = useMemo(() => new LiveStore(meta, reports, tls), [meta.id]);
  useFollow(follow ? store : null);
  return store;
}

/** Follows the store's test while mounted; finished tests replay their whole log too. */
export function useFollow(store: LiveStore | null): void {
  useEffect(() => store ? followEvents(store) : undefined, [store]);
}

export function StatusBadge({ status }: { status: string }) {
  return (
    <span class={`badge s-${status}`} data-testid="status" aria-live="polite">
      {status}
    </span>
  );
}

export function TestLive(
  { store, stop, note, charts }: {
    store: LiveStore;
    stop?: preact.ComponentChildren;
    /** Shown under the header, e.g. a link to the path test started alongside. */
    note?: preact.ComponentChildren;
    /** Instead of the live cards (a finished test's series charts). */
    charts?: preact.ComponentChildren;
  },
) {
  const { meta } = store;
  const base = `/api/tests/${encodeURIComponent(meta.id)}/export?format=`;
  return (
    <section class="live" aria-labelledby="live-title">
      <header class="live-head">
        <div>
          <h2 id="live-title">
            Test <code>{meta.id}</code>{" "}
            <StatusBadge status={store.status.value} />
          </h2>
          <p class="muted">
            Started {fmtTime(meta.created_at)} ·{" "}
            {meta.settings.probe && (
              <span data-testid="probe-kind">
                {probeKindText(meta.settings.probe)},{" "}
              </span>
            )}
            {meta.settings.mode === "path" &&
              `path, up to ${meta.settings.max_hops ?? 30} hops, `}
            {fmtPlan(meta.settings)}
            {store.connected.value ? "" : " · reconnecting…"}
          </p>
          {store.error.value && <p class="error">{store.error.value}</p>}
        </div>
        <div class="actions">
          {stop}
          {["csv", "json"].map((f) => (
            <a
              key={f}
              class="button"
              href={base + f}
              data-testid={`export-${f}`}
              download
            >
              Export {f.toUpperCase()}
            </a>
          ))}
        </div>
      </header>
      {note}
      {store.paths
        ? <PathView store={store} />
        : charts ?? <Cards store={store} />}
      {(!store.paths || store.reports.some((r) => r.value)) && (
        <LiveSummary store={store} />
      )}
    </section>
  );
}

/** Ping mode: a card per target with its RTT and quality charts. */
function Cards({ store }: { store: LiveStore }) {
  const { meta } = store;
  return (
    <div class="cards">
      {meta.targets.map((t, slot) => (
        <article class="card" key={t.id}>
          <h3>
            {t.name} <small class="muted">{t.address ?? t.host}</small>
          </h3>
          <LiveChart
            store={store}
            kind="rtt"
            slot={slot}
            label={`Round-trip time of each probe to ${t.name}; lost probes marked in red. The table below has the figures.`}
          />
          <LiveChart
            store={store}
            kind="quality"
            slot={slot}
            label={`Loss and jitter per ${store.bucket} s over time for ${t.name}.`}
          />
          <p class="chart-note muted">
            Top: round-trip time of each probe, lost probes as red marks.
            Bottom: loss (red) and jitter (purple) per {store.bucket} s.
          </p>
          {meta.settings.probe?.kind === "tls" && (
            <TlsPhases latest={store.tls[slot].value} />
          )}
        </article>
      ))}
    </div>
  );
}

/** Only the table re-renders on each statistics report. */
function LiveSummary({ store }: { store: LiveStore }) {
  return (
    <SummaryTable
      targets={store.meta.targets}
      reports={store.reports.map((r) => r.value)}
      probe={store.meta.settings.probe}
    />
  );
}
