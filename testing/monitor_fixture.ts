// Realistic monitor data for the page tests: a day of 1-minute steps of
// 20 probes with a 30-minute gap (the service was down: no points, a gap
// record) and a 10-minute outage (100 % loss) with lossy steps around it,
// the alert events the rules would have made, and the monitors' statuses.
import type {
  AlertEvent,
  MonitorPoint,
  MonitorSeries,
  MonitorSpec,
  MonitorStatus,
} from "../model/monitor.ts";
import type { MonitorDetail, MonitorPages } from "../routes/monitor_data.ts";

export const STEP_MS = 60_000;

export interface DayFixture {
  from: number;
  to: number;
  points: MonitorPoint[];
  gap: { from: number; to: number };
  outage: { from: number; to: number };
  alerts: AlertEvent[];
}

/** Deterministic pseudo-random numbers (a test must draw the same chart twice). */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export function point(
  t: number,
  loss_pct: number,
  median: number,
  spread = 0.3,
  span_s = 60,
): MonitorPoint {
  const sent = Math.round(span_s / 3);
  const received = Math.round(sent * (1 - loss_pct / 100));
  if (received === 0) {
    return {
      t,
      span_s,
      sent,
      received: 0,
      loss_pct: 100,
      late: 0,
      duplicates: 0,
      min_rtt_ms: null,
      median_rtt_ms: null,
      avg_rtt_ms: null,
      max_rtt_ms: null,
      deciles_ms: [],
      jitter_ms: null,
      hist: [],
    };
  }
  const deciles = Array.from(
    { length: 9 },
    (_, i) => +(median * (1 + spread * (i - 4) / 4)).toFixed(3),
  );
  return {
    t,
    span_s,
    sent,
    received,
    loss_pct: +(100 * (sent - received) / sent).toFixed(2),
    late: 0,
    duplicates: 0,
    min_rtt_ms: deciles[0] * 0.9,
    median_rtt_ms: deciles[4],
    avg_rtt_ms: deciles[4] * 1.02,
    max_rtt_ms: deciles[8] * 1.3,
    deciles_ms: deciles,
    jitter_ms: +(median * spread / 5).toFixed(3),
    hist: [[10, received]],
  };
}

/** A day of 1-minute steps ending at `end` (a minute boundary). */
export function dayFixture(monitor: string, end: number): DayFixture {
  const to = Math.floor(end / STEP_MS) * STEP_MS;
  const from = to - 86_400_000;
  const gap = { from: from + 6 * 3600_000, to: from + 6.5 * 3600_000 };
  const outage = {
    from: from + 18 * 3600_000,
    to: from + 18 * 3600_000 + 10 * STEP_MS,
  };
  const r = rng(12);
  const points: MonitorPoint[] = [];
  for (let t = from; t < to; t += STEP_MS) {
    if (t >= gap.from && t < gap.to) continue;
    let loss = 0;
    if (t >= outage.from && t < outage.to) loss = 100;
    else if (t >= outage.from - 5 * STEP_MS && t < outage.to + 5 * STEP_MS) {
      loss = [5, 10, 15, 40, 80][Math.floor(r() * 5)];
    } else if (r() < 0.02) loss = 5;
    const base = 12 + 4 * Math.sin((t - from) / 86_400_000 * 2 * Math.PI);
    points.push(point(t, loss, +(base + r() * 1.5).toFixed(3)));
  }
  const iso = (t: number) => new Date(t).toISOString();
  const ev = (
    id: string,
    state: "firing" | "ok",
    at: number,
    since: number,
    value: number,
  ): AlertEvent => ({
    id,
    monitor,
    server: "localhost-v4",
    address: "127.0.0.1",
    alert: "down",
    state,
    metric: "loss_pct",
    value,
    threshold: 99,
    since: iso(since),
    at: iso(at),
  });
  // Newest first, as the API lists them.
  const alerts = [
    ev("a2", "ok", outage.to + 2 * STEP_MS, outage.from + 2 * STEP_MS, 0),
    ev("a1", "firing", outage.from + 2 * STEP_MS, outage.from, 100),
  ];
  return { from, to, points, gap, outage, alerts };
}

/** What GET /api/monitors/:id/series would answer for [from, to]. */
export function seriesOf(
  day: DayFixture,
  monitor: string,
  from: number,
  to: number,
  resolution: "step" | "hour" | "day",
): MonitorSeries {
  const points = day.points.filter((p) => p.t >= from && p.t < to);
  const gaps = day.gap.to > from && day.gap.from < to ? [day.gap] : [];
  return { monitor, resolution, from, to, points, gaps };
}

export const SPEC: MonitorSpec = {
  id: "gw-watch",
  server: "localhost-v4",
  mode: "ping",
  step_s: 60,
  probes: 20,
  timeout_ms: 1000,
  size: 56,
  alerts: [
    { name: "loss", loss_pct_above: 5, for_steps: 3, notify: [] },
    { name: "down", loss_pct_above: 99, for_steps: 2, notify: ["ops"] },
  ],
};

export function statuses(latest: MonitorPoint | null): MonitorDetail[] {
  const base = {
    address: "127.0.0.1",
    mode: "ping" as const,
    step_s: 60,
    probes: 20,
    source: "config" as const,
  };
  return [
    {
      ...base,
      id: "gw-watch",
      server: "localhost-v4",
      server_name: "Localhost (IPv4)",
      group: "Local",
      state: "ok",
      latest,
      firing: [],
      spec: SPEC,
    },
    {
      ...base,
      id: "v6-watch",
      server: "localhost-v6",
      server_name: "Localhost (IPv6)",
      group: "Local",
      address: "::1",
      state: "alerting",
      latest: latest && { ...latest, loss_pct: 100 },
      firing: ["down"],
      spec: { ...SPEC, id: "v6-watch", server: "localhost-v6" },
    },
    {
      ...base,
      id: "far-watch",
      server: "far",
      server_name: "Far away <edge>",
      group: "Remote",
      state: "no_data",
      latest: null,
      firing: [],
      spec: { ...SPEC, id: "far-watch", server: "far", alerts: [] },
    },
  ];
}

/** A MonitorPages over plain data. */
export function fixturePages(list: MonitorDetail[]): MonitorPages {
  return {
    list: () =>
      Promise.resolve(list.map(({ spec: _spec, ...s }) => s as MonitorStatus)),
    get: (id) => Promise.resolve(list.find((m) => m.id === id) ?? null),
  };
}
