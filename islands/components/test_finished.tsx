// A finished test's charts: drawn from the server's downsampled series sized
// to the chart (never a replay of every probe), zoomable by dragging across
// an RTT chart or by `?from=&to=` (epoch ms) in the URL; Reset shows it whole.
import { useEffect, useMemo, useRef } from "preact/hooks";
import type { LatestTls } from "../../model/probe.ts";
import type { TestMeta } from "../../model/run.ts";
import { SeriesStore } from "../client/series_store.ts";
import { rangeOfSearch } from "../client/zoom_url.ts";
import { fmtTime } from "./format.ts";
import { SeriesChart } from "./series_chart.tsx";
import { TlsPhases } from "./tls_phases.tsx";

const iso = (ms: number) => fmtTime(new Date(ms).toISOString());

function fmtSpan(ms: number): string {
  if (ms < 1000) return `${+ms.toFixed(1)} ms`;
  if (ms < 120_000) return `${+(ms / 1000).toFixed(1)} s`;
  if (ms < 7_200_000) return `${+(ms / 60_000).toFixed(1)} min`;
  return `${+(ms / 3_600_000).toFixed(1)} h`;
}

function ZoomBar({ store }: { store: SeriesStore }) {
  const r = store.data.value;
  const zoomed = store.range.value !== null;
  return (
    <div
      class="zoom-bar no-print"
      data-testid="zoom-bar"
      data-zoomed={String(zoomed)}
      aria-live="polite"
    >
      <span data-testid="zoom-range">
        {r
          ? `${zoomed ? "Zoomed" : "Whole test"}: ${iso(r.from)} – ${
            iso(r.to)
          } · ${r.probes} probes · ${
            r.raw
              ? "every probe shown"
              : `each point ${
                fmtSpan(r.bucket_ms)
              } (band: min–max, line: median)`
          }`
          : "Loading the charts…"}
      </span>
      {store.loading.value && r && <span class="muted">loading…</span>}
      {store.error.value && <span class="error">{store.error.value}</span>}
      <span class="muted">Drag across an RTT chart to zoom in.</span>
      <button
        type="button"
        data-testid="zoom-reset"
        disabled={!zoomed}
        onClick={() => store.zoom(null)}
      >
        Reset zoom
      </button>
    </div>
  );
}

export function FinishedCards(
  { meta, tls }: {
    meta: TestMeta;
    /** A tls test's last handshake per target. */
    tls?: (LatestTls | null)[];
  },
) {
  const store = useMemo(() => new SeriesStore(meta.id), [meta.id]);
  const cards = useRef<HTMLDivElement>(null);
  useEffect(() => {
    // One bucket per pixel of the chart: the detail the screen can show.
    const chart = cards.current?.querySelector<HTMLElement>(
      "[data-testid=chart]",
    );
    const px = Math.round(chart?.clientWidth || 1000);
    store.points = Math.min(5000, Math.max(50, px));
    store.show(rangeOfSearch(location.search));
  }, [store]);
  return (
    <>
      <ZoomBar store={store} />
      <div class="cards" ref={cards}>
        {meta.targets.map((t, slot) => (
          <article class="card" key={t.id}>
            <h3>
              {t.name} <small class="muted">{t.address ?? t.host}</small>
            </h3>
            <SeriesChart
              store={store}
              kind="rtt"
              slot={slot}
              target={t.id}
              label={`Round-trip time to ${t.name}: median line and min–max band per point; red marks where probes were lost. The table below has the figures.`}
            />
            <SeriesChart
              store={store}
              kind="quality"
              slot={slot}
              target={t.id}
              label={`Loss and jitter per point over time for ${t.name}.`}
            />
            <p class="chart-note muted">
              Top: RTT, median line and min–max band, a red mark wherever a
              probe was lost. Bottom: loss (red) and jitter (purple) per point.
            </p>
            {meta.settings.probe?.kind === "tls" && (
              <TlsPhases latest={tls?.[slot] ?? null} />
            )}
          </article>
        ))}
      </div>
    </>
  );
}
