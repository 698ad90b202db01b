// Island of /compare: two or more finished tests side by side: their RTT
// distributions (CDF) on one chart, their loss over time (since each test's
// start) on another, and their summary tables next to each other.
import { useEffect, useRef } from "preact/hooks";
import { useSignal } from "@preact/signals";
import uPlot from "uplot";
import type { TargetReport, TestMeta } from "../model/run.ts";
import { axis, ticks } from "./client/chart_options.ts";
import {
  cdfLines,
  joinLines,
  type Line,
  lossLines,
} from "./client/compare_data.ts";
import { fetchDistribution, fetchSeries } from "./client/series_fetch.ts";
import { cssVar } from "./client/theme.ts";
import { fmtPlan, fmtTime } from "./components/format.ts";
import { SummaryTable } from "./components/summary_table.tsx";

export interface CompareProps {
  tests: { meta: TestMeta; reports: TargetReport[] | null }[];
}

const PALETTE = ["--accent", "--danger", "--accent-2", "--ok", "--warn"];
const DASH = [[], [6, 3], [2, 2], [8, 3, 2, 3]];

function lineChart(
  el: HTMLElement,
  lines: Line[],
  xLabel: string,
  yLabel: string,
  yRange?: [number, number],
  logX = false,
): uPlot {
  const opts: uPlot.Options = {
    width: Math.max(300, el.clientWidth),
    height: 260,
    // RTTs span decades (a 0.2 ms LAN and a 250 ms spike): a log axis.
    scales: {
      x: logX ? { time: false, distr: 3, log: 10 } : { time: false },
      y: yRange ? { range: yRange } : {},
    },
    series: [
      { label: xLabel },
      ...lines.map((l, i) => ({
        label: l.label,
        stroke: cssVar(PALETTE[i % PALETTE.length]),
        dash: DASH[Math.floor(i / PALETTE.length) % DASH.length],
        width: 1.5,
        spanGaps: true,
      })),
    ],
    axes: [
      axis({ label: xLabel, values: ticks }),
      axis({ label: yLabel, size: 60, values: ticks }),
    ],
  };
  return new uPlot(opts, joinLines(lines), el);
}

function CompareChart(
  { lines, testid, xLabel, yLabel, yRange, label, logX }: {
    lines: Line[] | null;
    logX?: boolean;
    testid: string;
    xLabel: string;
    yLabel: string;
    yRange?: [number, number];
    label: string;
  },
) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!lines) return;
    const el = box.current!;
    let plot = lineChart(el, lines, xLabel, yLabel, yRange, logX);
    el.dataset.series = String(lines.length);
    const create = () => {
      plot.destroy();
      plot = lineChart(el, lines, xLabel, yLabel, yRange, logX);
    };
    document.addEventListener("pla-theme", create);
    return () => {
      document.removeEventListener("pla-theme", create);
      plot.destroy();
    };
  }, [lines]);
  return (
    <div
      ref={box}
      class="chart"
      role="img"
      aria-label={label}
      data-testid={testid}
      data-series="0"
    />
  );
}

export default function Compare({ tests }: CompareProps) {
  const cdf = useSignal<Line[] | null>(null);
  const loss = useSignal<Line[] | null>(null);
  const error = useSignal<string | null>(null);
  useEffect(() => {
    const ids = tests.map((t) => t.meta.id);
    Promise.all([
      Promise.all(ids.map(fetchDistribution)),
      Promise.all(ids.map((id) => fetchSeries(id, null, 300))),
    ]).then(([dists, series]) => {
      cdf.value = cdfLines(dists.map((dist, i) => ({ name: ids[i], dist })));
      loss.value = lossLines(series.map((s, i) => ({ name: ids[i], s })));
    }).catch((e) => error.value = (e as Error).message);
  }, []);
  return (
    <>
      {error.value && <p class="error" role="alert">{error.value}</p>}
      <div class="compare-charts">
        <section class="card">
          <h2>RTT distribution</h2>
          <CompareChart
            lines={cdf.value}
            testid="compare-cdf"
            xLabel="RTT (ms, log scale)"
            yLabel="replies ≤ RTT (%)"
            yRange={[0, 100]}
            logX
            label="Cumulative distribution of the round-trip times of each test; the tables below have the figures."
          />
          <p class="chart-note muted">
            Share of the replies at or below each RTT (CDF): a line further left
            is faster; a long tail to the right is spikes.
          </p>
        </section>
        <section class="card">
          <h2>Loss over time</h2>
          <CompareChart
            lines={loss.value}
            testid="compare-loss"
            xLabel="time since the test's first probe (s)"
            yLabel="loss (%)"
            label="Loss over time of each test, from its start."
          />
          <p class="chart-note muted">
            Loss per point, each test from its own start, so tests run at
            different times line up.
          </p>
        </section>
      </div>
      <div class="compare-grid">
        {tests.map(({ meta, reports }) => (
          <section
            class="card"
            data-testid="compare-test"
            data-test-id={meta.id}
          >
            <h2>
              <a href={`/tests/${encodeURIComponent(meta.id)}`}>{meta.id}</a>
            </h2>
            <p class="muted">
              {fmtTime(meta.created_at)} · {fmtPlan(meta.settings)}
            </p>
            <SummaryTable
              targets={meta.targets}
              reports={meta.targets.map((t) =>
                reports?.find((r) => r.target === t.id) ?? null
              )}
            />
          </section>
        ))}
      </div>
    </>
  );
}
