// Island of /monitors/{id}: the smoke chart (SmokePing's drawing) over a
// range (3 h ... a year), live at the right edge over SSE, zoom by dragging;
// the current figures; the alert timeline beneath; a full test to the same
// server. Data from the JSON API: /api/monitors/:id/series, /api/alerts.
import { batch, type Signal, useSignal } from "@preact/signals";
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import type {
  AlertEvent,
  MonitorGap,
  MonitorPoint,
  MonitorSeries,
  MonitorStatus,
  Resolution,
} from "../model/monitor.ts";
import type { ProblemBody } from "../model/problem.ts";
import { startTest } from "./client/api.ts";
import { followMonitorEvents } from "./client/monitor_events.ts";
import { fmtMs, fmtPct, fmtTime } from "./components/format.ts";
import {
  appendPoint,
  LOSS_CLASSES,
  type RangeId,
  RANGES,
  resolutionFor,
  SERIES_COUNT,
  seriesUrl,
  smokeData,
} from "./components/smoke_data.ts";
import { smokeOptions } from "./components/smoke_options.ts";
import { AlertTimeline } from "./components/alert_view.tsx";

export interface SmokeChartProps {
  monitor: MonitorStatus;
  /** The signed-in role may not start tests (viewer). */
  readOnly?: boolean;
}

export interface View {
  from: number;
  to: number;
  resolution: Resolution;
  /** Ends at now: live points are appended. */
  live: boolean;
  range: RangeId | "zoom";
}

interface Series {
  points: MonitorPoint[];
  gaps: MonitorGap[];
}

const HEIGHT = 300;
const DEFAULT_RANGE: RangeId = "1d";
const rangeMs = (id: RangeId) => RANGES.find((r) => r.id === id)!.ms;

function viewOf(id: RangeId, step_s: number, now = Date.now()): View {
  const ms = rangeMs(id);
  return {
    from: now - ms,
    to: now,
    resolution: resolutionFor(ms, step_s),
    live: true,
    range: id,
  };
}

function Figures({ p }: { p: MonitorPoint | null }) {
  return (
    <dl class="figures" data-testid="figures">
      <div>
        <dt>Loss</dt>
        <dd data-col="loss">{fmtPct(p?.loss_pct)}</dd>
      </div>
      <div>
        <dt>Median RTT</dt>
        <dd data-col="median">{fmtMs(p?.median_rtt_ms)}</dd>
      </div>
      <div>
        <dt>Jitter</dt>
        <dd data-col="jitter">{fmtMs(p?.jitter_ms)}</dd>
      </div>
      <div>
        <dt>Latest step</dt>
        <dd data-col="at">
          {p ? fmtTime(new Date(p.t).toISOString()) : "no data"}
        </dd>
      </div>
    </dl>
  );
}

/** The uPlot chart: created once (again for a theme or print), drawn per frame. */
function SmokePlot(
  { series, view, onZoom }: {
    series: Signal<Series>;
    view: Signal<View>;
    onZoom: (from: number, to: number) => void;
  },
) {
  const box = useRef<HTMLDivElement>(null);
  const readout = useRef<HTMLParagraphElement>(null);
  const zoom = useRef(onZoom);
  zoom.current = onZoom;
  useEffect(() => {
    const el = box.current!;
    let plot: uPlot | null = null;
    let frame = 0;
    let rows: (MonitorPoint | null)[] = [];
    const width = () => Math.max(240, el.clientWidth);
    const draw = () => {
      frame = 0;
      const s = series.value;
      const d = smokeData(s.points, s.gaps);
      rows = d.rows;
      plot!.setData(d.data as uPlot.AlignedData);
      const v = view.value;
      el.dataset.points = String(d.rows.length - d.gapRows.length);
      el.dataset.rows = String(d.rows.length);
      el.dataset.gapRows = d.gapRows.join(",");
      el.dataset.from = String(Math.round(v.from));
      el.dataset.to = String(Math.round(v.to));
      el.dataset.resolution = v.resolution;
    };
    const hooks: uPlot.Options["hooks"] = {
      setSelect: [(u) => {
        const { left, width: w } = u.select;
        if (w < 4) return;
        const from = u.posToVal(left, "x") * 1000;
        const to = u.posToVal(left + w, "x") * 1000;
        u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
        zoom.current(from, to);
      }],
      setCursor: [(u) => {
        const i = u.cursor.idx;
        const p = i === null || i === undefined ? null : rows[i];
        const out = readout.current;
        if (!out) return;
        out.textContent = p
          ? `${fmtTime(new Date(p.t).toISOString())}: median ${
            fmtMs(p.median_rtt_ms)
          }, loss ${fmtPct(p.loss_pct)}, p10–p90 ${
            p.deciles_ms.length === 9
              ? `${fmtMs(p.deciles_ms[0])} – ${fmtMs(p.deciles_ms[8])}`
              : "–"
          }, jitter ${fmtMs(p.jitter_ms)}`
          : i === null || i === undefined
          ? "\u00a0"
          : "no data";
      }],
    };
    const create = () => {
      plot?.destroy();
      const empty = Array.from({ length: SERIES_COUNT }, () => []);
      plot = new uPlot(
        smokeOptions(width(), HEIGHT, () => view.value, hooks),
        empty as unknown as uPlot.AlignedData,
        el,
      );
      // The browser tests read the plotted arrays from here.
      (el as unknown as { uplot: uPlot }).uplot = plot;
      el.dataset.series = String(plot.series.length);
      draw();
    };
    create();
    const schedule = () => {
      frame ||= requestAnimationFrame(draw);
    };
    const unwatchS = series.subscribe(schedule);
    const unwatchV = view.subscribe(schedule);
    const resize = new ResizeObserver(() => {
      if (plot && plot.width !== width()) {
        plot.setSize({ width: width(), height: HEIGHT });
      }
    });
    resize.observe(el);
    document.addEventListener("pla-theme", create);
    const print = matchMedia("print");
    print.addEventListener("change", create);
    return () => {
      unwatchS();
      unwatchV();
      cancelAnimationFrame(frame);
      resize.disconnect();
      document.removeEventListener("pla-theme", create);
      print.removeEventListener("change", create);
      plot?.destroy();
    };
  }, [series, view]);
  return (
    <>
      <div
        ref={box}
        class="chart smoke"
        role="img"
        aria-label="Smoke chart: RTT deciles as grey smoke, the median coloured by loss"
        data-testid="smoke-chart"
        data-points="0"
      />
      <p class="readout muted" ref={readout} aria-live="off">&nbsp;</p>
    </>
  );
}

export default function SmokeChart(
  { monitor, readOnly = false }: SmokeChartProps,
) {
  const step_s = monitor.step_s;
  const view = useSignal<View>(viewOf(DEFAULT_RANGE, step_s, 0));
  const series = useSignal<Series>({ points: [], gaps: [] });
  const loading = useSignal(true);
  const error = useSignal<string | null>(null);
  const alerts = useSignal<AlertEvent[]>([]);
  const latest = useSignal<MonitorPoint | null>(monitor.latest);
  const state = useSignal(monitor.state);
  const connected = useSignal(false);
  const starting = useSignal(false);
  const startError = useSignal<string | null>(null);
  const now = useSignal(0);
  const fetching = useRef<AbortController | null>(null);

  const load = async (v: View) => {
    fetching.current?.abort();
    const ac = new AbortController();
    fetching.current = ac;
    batch(() => {
      view.value = v;
      loading.value = true;
      error.value = null;
    });
    try {
      const res = await fetch(
        seriesUrl(monitor.id, v.from, v.to, v.resolution),
        {
          signal: ac.signal,
        },
      );
      if (!res.ok) {
        const p = await res.json().catch(() => null) as ProblemBody | null;
        throw new Error(p?.detail ?? `${res.status} ${res.statusText}`);
      }
      const body = await res.json() as MonitorSeries;
      if (ac.signal.aborted) return;
      batch(() => {
        series.value = { points: body.points, gaps: body.gaps };
        loading.value = false;
      });
    } catch (e) {
      if (ac.signal.aborted) return;
      batch(() => {
        loading.value = false;
        error.value = `The series could not be loaded: ${(e as Error).message}`;
      });
    }
  };

  useEffect(() => {
    now.value = Date.now();
    void load(viewOf(DEFAULT_RANGE, step_s));
    void (async () => {
      try {
        const res = await fetch(
          `/api/alerts?monitor=${encodeURIComponent(monitor.id)}`,
        );
        if (res.ok) {
          const body = await res.json() as { alerts: AlertEvent[] };
          alerts.value = [
            ...body.alerts,
            ...alerts.value.filter((a) =>
              !body.alerts.some((b) => b.id === a.id)
            ),
          ];
        }
      } catch { /* the timeline stays empty; the chart still works */ }
    })();
    const stop = followMonitorEvents({
      connected: (on) => connected.value = on,
      point: (ev) => {
        if (ev.monitor !== monitor.id) return;
        const v = view.value;
        batch(() => {
          if (ev.resolution === "step") {
            latest.value = ev.point;
            if (state.value === "no_data") state.value = "ok";
          }
          now.value = Date.now();
          if (!v.live || ev.resolution !== v.resolution) return;
          const span = v.to - v.from;
          const to = Math.max(Date.now(), ev.point.t + ev.point.span_s * 1000);
          const from = to - span;
          view.value = { ...v, from, to };
          series.value = {
            points: appendPoint(series.value.points, ev.point, from),
            gaps: series.value.gaps.filter((g) => g.to >= from),
          };
        });
      },
      alert: (ev) => {
        if (ev.monitor !== monitor.id) return;
        batch(() => {
          alerts.value = [ev, ...alerts.value.filter((a) => a.id !== ev.id)];
          now.value = Date.now();
        });
      },
    });
    return () => {
      stop();
      fetching.current?.abort();
    };
  }, []);

  const zoomTo = (from: number, to: number) => {
    if (to - from < step_s * 2000) return;
    void load({
      from,
      to,
      resolution: resolutionFor(to - from, step_s),
      live: false,
      range: "zoom",
    });
  };
  const lastRange = useRef<RangeId>(DEFAULT_RANGE);
  const pick = (id: RangeId) => {
    lastRange.current = id;
    void load(viewOf(id, step_s));
  };
  const startFull = async () => {
    starting.value = true;
    startError.value = null;
    const body: Record<string, unknown> = {
      targets: [monitor.server],
      duration_s: 30,
    };
    if (monitor.mode === "path") body.mode = "path";
    const r = await startTest(body);
    if ("id" in r) {
      location.assign(`/tests/${encodeURIComponent(r.id)}`);
      return;
    }
    batch(() => {
      starting.value = false;
      startError.value = r.detail;
    });
  };

  const v = view.value;
  const firing = alerts.value.length
    ? [...new Set(alerts.value.map((a) => a.alert))].filter((name) =>
      alerts.value.filter((a) => a.alert === name).sort((a, b) =>
        Date.parse(b.at) - Date.parse(a.at)
      )[0].state === "firing"
    )
    : monitor.firing;
  const shownState = firing.length ? "alerting" : state.value;
  return (
    <div class="monitor-view">
      <section class="panel monitor-head" aria-label="Current figures">
        <p>
          <span
            class={`badge m-${shownState}`}
            data-testid="monitor-state"
          >
            {shownState.replace("_", " ")}
          </span>
          {firing.length > 0 && (
            <span class="muted">firing: {firing.join(", ")}</span>
          )}
          <span
            class={`live-dot ${connected.value ? "on" : ""}`}
            title={connected.value ? "live" : "not connected"}
            data-testid="live"
          >
            {connected.value ? "live" : "offline"}
          </span>
        </p>
        <Figures p={latest.value} />
        <div class="actions">
          <button
            type="button"
            class="primary"
            data-testid="start-full"
            disabled={readOnly || starting.value}
            onClick={startFull}
          >
            {starting.value ? "Starting…" : "Run a full test"}
          </button>
          {readOnly && (
            <p class="muted" role="note">
              Your role can view monitors but not start tests.
            </p>
          )}
          {startError.value && (
            <p class="field-error" role="alert">{startError.value}</p>
          )}
        </div>
      </section>
      <section class="card smoke-card" aria-label="Smoke chart">
        <div class="range-bar no-print" role="group" aria-label="Range">
          {RANGES.map((r) => (
            <button
              type="button"
              class="small"
              key={r.id}
              data-range={r.id}
              aria-pressed={v.range === r.id}
              onClick={() => pick(r.id)}
            >
              {r.label}
            </button>
          ))}
          <button
            type="button"
            class="small"
            data-testid="zoom-reset"
            hidden={v.range !== "zoom"}
            onClick={() => pick(lastRange.current)}
          >
            Reset zoom
          </button>
          <span class="muted range-note" data-testid="range-note">
            {loading.value
              ? "loading…"
              : `${
                v.resolution === "step"
                  ? `${step_s} s steps`
                  : `${v.resolution}ly`
              }${v.live ? ", live" : ", drag to zoom"}`}
          </span>
        </div>
        <SmokePlot series={series} view={view} onZoom={zoomTo} />
        {error.value && <p class="error" role="alert">{error.value}</p>}
        <ul class="loss-legend" aria-label="Median colour by loss">
          {LOSS_CLASSES.map((c, i) => (
            <li key={c.label} class={`lc lc-${i}`}>{c.label}</li>
          ))}
          <li class="lc smoke-key">p10–p90 smoke</li>
        </ul>
      </section>
      <AlertTimeline
        alerts={alerts.value}
        from={v.from}
        to={v.to}
        now={now.value || v.to}
      />
    </div>
  );
}
