// Island of /monitors: every monitor grouped like the servers, with its state,
// a sparkline of the last 3 hours (median RTT; gaps stay gaps) and the
// figures of its latest step, kept live over the monitors' SSE stream.
import { batch, type Signal, useSignal } from "@preact/signals";
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import type {
  MonitorPoint,
  MonitorSeries,
  MonitorStatus,
} from "../model/monitor.ts";
import { followMonitorEvents } from "./client/monitor_events.ts";
import { cssVar } from "./client/theme.ts";
import { useLivePlot } from "./client/use_live_plot.ts";
import { fmtMs, fmtPct } from "./components/format.ts";
import {
  appendPoint,
  resolutionFor,
  seriesUrl,
  smokeData,
} from "./components/smoke_data.ts";

export interface MonitorListProps {
  monitors: MonitorStatus[];
}

const SPARK_MS = 3 * 3600_000;
type Sparks = Record<string, MonitorPoint[]>;

function sparkData(points: MonitorPoint[]): uPlot.AlignedData {
  const d = smokeData(points);
  return [
    d.data[0] as number[],
    d.rows.map((p) => p?.median_rtt_ms ?? null),
    // Loss 0 is a value (a flat line); only gaps are null.
    d.rows.map((p) => p?.loss_pct ?? null),
  ];
}

/** The sparkline: the median's own span (it shows change, not zero), loss below. */
function sparkOptions(): uPlot.Options {
  return {
    width: 160,
    height: 32,
    legend: { show: false },
    cursor: { show: false },
    scales: {
      x: { time: true },
      // The median's own span: a sparkline shows change, not zero.
      ms: {
        range: (_u, min, max) =>
          max > min ? [min - (max - min) * 0.1, max + (max - min) * 0.1] : [
            0,
            max > 0 ? max * 2 : 1,
          ],
      },
      pct: { range: [0, 100] },
    },
    series: [{}, {
      scale: "ms",
      stroke: cssVar("--accent"),
      width: 1.25,
      spanGaps: false,
      points: { show: false },
    }, {
      scale: "pct",
      stroke: cssVar("--danger"),
      fill: cssVar("--danger-fill"),
      width: 1,
      spanGaps: false,
      points: { show: false },
    }],
    axes: [{ show: false }, { show: false, scale: "ms" }],
  };
}

function Spark(
  { id, sparks, label }: { id: string; sparks: Signal<Sparks>; label: string },
) {
  const box = useRef<HTMLDivElement>(null);
  useLivePlot(
    box,
    sparkOptions,
    (plot, el) => {
      const pts = sparks.value[id] ?? [];
      const now = Date.now();
      plot.setData(sparkData(pts));
      plot.setScale("x", { min: (now - SPARK_MS) / 1000, max: now / 1000 });
      el.dataset.points = String(pts.length);
    },
    sparks,
    [id, sparks],
  );
  return (
    <div
      ref={box}
      class="spark"
      role="img"
      aria-label={label}
      data-testid="monitor-spark"
      data-points="0"
    />
  );
}

export default function MonitorList({ monitors }: MonitorListProps) {
  const list = useSignal(monitors);
  const sparks = useSignal<Sparks>({});
  useEffect(() => {
    const now = Date.now();
    const ac = new AbortController();
    for (const m of monitors) {
      const url = seriesUrl(
        m.id,
        now - SPARK_MS,
        now,
        resolutionFor(SPARK_MS, m.step_s),
      );
      fetch(url, { signal: ac.signal }).then((r) => r.ok ? r.json() : null)
        .then((body: MonitorSeries | null) => {
          if (body) sparks.value = { ...sparks.value, [m.id]: body.points };
        }).catch(() => {/* no sparkline; the figures are there */});
    }
    const stop = followMonitorEvents({
      point: (ev) => {
        if (ev.resolution !== "step") return;
        batch(() => {
          list.value = list.value.map((m) =>
            m.id === ev.monitor
              ? {
                ...m,
                latest: ev.point,
                state: m.state === "no_data" ? "ok" : m.state,
              }
              : m
          );
          const pts = sparks.value[ev.monitor];
          if (pts) {
            sparks.value = {
              ...sparks.value,
              [ev.monitor]: appendPoint(pts, ev.point, Date.now() - SPARK_MS),
            };
          }
        });
      },
      alert: (ev) => {
        list.value = list.value.map((m) => {
          if (m.id !== ev.monitor) return m;
          const firing = ev.state === "firing"
            ? [...new Set([...m.firing, ev.alert])]
            : m.firing.filter((a) => a !== ev.alert);
          return {
            ...m,
            firing,
            state: firing.length ? "alerting" : m.latest ? "ok" : "no_data",
          };
        });
      },
    });
    return () => {
      stop();
      ac.abort();
    };
  }, []);

  const ms = list.value;
  if (!ms.length) {
    return (
      <p class="panel empty muted" data-testid="no-monitors">
        No monitors are configured. Add them under <code>monitors:</code>{" "}
        in the config file, or through the API.
      </p>
    );
  }
  const groups = [...new Set(ms.map((m) => m.group))];
  return (
    <div class="monitor-groups">
      {groups.map((g) => (
        <section class="card monitor-group" key={g} data-group={g}>
          <h2>{g}</h2>
          <div class="table-wrap">
            <table class="monitors stack">
              <thead>
                <tr>
                  <th scope="col">Monitor</th>
                  <th scope="col">State</th>
                  <th scope="col" class="spark-col">Last 3 hours</th>
                  <th scope="col" class="num">Loss</th>
                  <th scope="col" class="num">Median RTT</th>
                  <th scope="col" class="num">Jitter</th>
                </tr>
              </thead>
              <tbody>
                {ms.filter((m) =>
                  m.group === g
                ).map((m) => (
                  <tr key={m.id} data-monitor={m.id}>
                    <th scope="row">
                      <a href={`/monitors/${encodeURIComponent(m.id)}`}>
                        {m.server_name}
                      </a>
                      <small class="muted">
                        {m.id} · {m.mode}
                        {m.probe && ` · ${m.probe.kind}:${m.probe.port}`}{" "}
                        · every {m.step_s} s × {m.probes}
                      </small>
                    </th>
                    <td data-label="State">
                      <span
                        class={`badge m-${m.state}`}
                        data-testid="monitor-state"
                        title={m.firing.length
                          ? `firing: ${m.firing.join(", ")}`
                          : undefined}
                      >
                        {m.state.replace("_", " ")}
                      </span>
                    </td>
                    <td class="spark-col" data-label="Last 3 hours">
                      <Spark
                        id={m.id}
                        sparks={sparks}
                        label={`Median RTT and loss of ${m.server_name}, last 3 hours`}
                      />
                    </td>
                    <td class="num" data-label="Loss" data-col="loss">
                      {fmtPct(m.latest?.loss_pct)}
                    </td>
                    <td class="num" data-label="Median RTT" data-col="median">
                      {fmtMs(m.latest?.median_rtt_ms)}
                    </td>
                    <td class="num" data-label="Jitter" data-col="jitter">
                      {fmtMs(m.latest?.jitter_ms)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      ))}
    </div>
  );
}
