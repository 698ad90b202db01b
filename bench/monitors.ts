// Benchmark 11: monitors (issue 12). One service process with 1,000 monitors
// on 1,000 loopback addresses, 60 probes per 60 s step each (1,000 probes/s):
// its CPU share of a core and RSS over a measured window after every monitor
// stored a point, and the probes its stored points count. Storage per
// monitor-year: one monitor's year of points (what the retention keeps)
// written through KvMonitorStore into a fresh KV file, the file's size. The
// smoke chart: that KV file served by the real service, /monitors/<id> opened
// in headless Chromium and its "1y" range clicked, timed to the chart drawn.
// Peer for the CPU share: fping probing the same 1,000 addresses at the same
// rate for the same 60 s (`fping -C 60 -p 1000 -i 1`): on loopback the
// kernel's echo work runs in the prober's system calls, for both.
import { type BenchRow, num, ratio, skippedRows, verdict } from "./report.ts";
import { runTimed } from "./run_timed.ts";
import { findPeers, missingPeer } from "./peers.ts";
import { startServer } from "./server_process.ts";
import { median } from "./quantile.ts";
import { launchBrowser, noBrowser } from "../testing/browser_kit.ts";
import { KvMonitorStore } from "../server/monitors/kv_monitor_store.ts";
import { stepPoint } from "../server/monitors/step_point.ts";
import { rollup } from "../server/monitors/rollup.ts";
import { computeStats } from "../probe/statistics.ts";
import { stepOffset } from "../server/monitors/monitor_loop.ts";
import type { ProbeOutcome } from "../model/probe.ts";
import type { MonitorPoint, MonitorStatus } from "../model/monitor.ts";

const BENCH = "11 Monitors";
const MONITORS = 1000;
const STEP_S = 60;
const PROBES = 60;
/** Wait for every monitor's first stored point at most this long. */
const WARMUP_MAX_MS = 150_000;
const WINDOW_MS = 60_000;
const CHART_RUNS = 5;
const MON = "year-watch";
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const STEP_MS = STEP_S * 1000;

/** 127.2.x.y: distinct loopback addresses (Linux answers all of 127/8). */
export function monitorAddresses(n: number): string[] {
  return Array.from(
    { length: n },
    (_, i) => `127.2.${Math.floor(i / 250)}.${1 + i % 250}`,
  );
}

function fleetConfig(n: number): string {
  const lines = ["limits: { max_pps: 2000 }", "servers:"];
  const hosts = monitorAddresses(n);
  hosts.forEach((h, i) =>
    lines.push(`  - { id: s${i}, name: Loopback ${h}, host: "${h}" }`)
  );
  lines.push("monitors:");
  hosts.forEach((_, i) =>
    lines.push(
      `  - { id: m${i}, server: s${i}, step_s: ${STEP_S}, probes: ${PROBES}, timeout_ms: 1000 }`,
    )
  );
  return lines.join("\n") + "\n";
}

async function monitorList(base: string): Promise<MonitorStatus[]> {
  const res = await fetch(`${base}/api/monitors`);
  if (!res.ok) throw new Error(`GET /api/monitors: ${res.status}`);
  return (await res.json()).monitors;
}

/** Deterministic pseudo-random numbers in [0, 1). */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/**
 * One realistic step: 60 probes 1 s apart, RTTs around a slowly moving
 * 12 ms base with jitter, 1 % of steps losing a few probes; through the
 * engine's statistics and the monitor loop's stepPoint.
 */
function makeStep(t: number, r: () => number): MonitorPoint {
  const base = 12 + 4 * Math.sin(t / DAY_MS * 2 * Math.PI);
  const lossy = r() < 0.01;
  const outcomes: ProbeOutcome[] = [];
  for (let i = 0; i < PROBES; i++) {
    const sent = t + i * 1000;
    const lost = lossy && r() < 0.1;
    const rtt = base + r() * 1.5 + (r() < 0.05 ? r() * 20 : 0);
    outcomes.push({
      index: i,
      status: lost ? "lost" : "ok",
      rtt_ms: lost ? null : Math.round(rtt * 1000) / 1000,
      sent_ms: sent,
      received_ms: lost ? null : sent + rtt,
      duplicates: 0,
    });
  }
  return stepPoint(computeStats(outcomes), outcomes, t, STEP_S);
}

export interface YearSeed {
  steps: number;
  hours: number;
  days: number;
  seconds: number;
}

/**
 * One monitor-year as the store holds it at `now`: the steps of the last 14
 * days (step retention), the hours of the last 365 days and the days of the
 * last 365 days, each hour rolled up from its 60 generated steps and each day
 * from its 24 hours (rollup.ts), written with KvMonitorStore.putPoint.
 */
export async function seedYear(kvPath: string, id: string): Promise<YearSeed> {
  const t0 = performance.now();
  const kv = await Deno.openKv(kvPath);
  const store = new KvMonitorStore(kv);
  const now = Date.now();
  const stepFrom = Math.floor((now - 14 * DAY_MS) / STEP_MS) * STEP_MS +
    STEP_MS;
  const stepTo = Math.floor(now / STEP_MS) * STEP_MS;
  const dayTo = Math.floor(now / DAY_MS) * DAY_MS;
  const dayFrom = dayTo - 365 * DAY_MS;
  const hourTo = Math.floor(now / HOUR_MS) * HOUR_MS;
  const r = rng(7);
  let steps = 0, hours = 0, days = 0;
  const pending: Promise<void>[] = [];
  const put = async (res: "step" | "hour" | "day", p: MonitorPoint) => {
    pending.push(store.putPoint(id, res, p));
    if (pending.length >= 256) await Promise.all(pending.splice(0));
  };
  try {
    for (let d = dayFrom; d < hourTo; d += DAY_MS) {
      const dayHours: MonitorPoint[] = [];
      for (let h = d; h < d + DAY_MS && h < hourTo; h += HOUR_MS) {
        const hourSteps: MonitorPoint[] = [];
        for (let t = h; t < h + HOUR_MS; t += STEP_MS) {
          const p = makeStep(t, r);
          hourSteps.push(p);
          if (t >= stepFrom && t < stepTo) {
            await put("step", p);
            steps++;
          }
        }
        const hp = rollup(hourSteps, h, 3600);
        dayHours.push(hp);
        if (h >= hourTo - 365 * DAY_MS) {
          await put("hour", hp);
          hours++;
        }
      }
      if (d + DAY_MS <= dayTo) {
        await put("day", rollup(dayHours, d, 86_400));
        days++;
      }
    }
    // The steps of the current hour (not rolled up yet).
    for (let t = hourTo; t < stepTo; t += STEP_MS) {
      await put("step", makeStep(t, r));
      steps++;
    }
    await Promise.all(pending.splice(0));
  } finally {
    kv.close();
  }
  return { steps, hours, days, seconds: (performance.now() - t0) / 1000 };
}

async function kvBytes(kvPath: string): Promise<number> {
  let total = 0;
  for (const suffix of ["", "-wal", "-shm"]) {
    total += await Deno.stat(kvPath + suffix).then((s) => s.size, () => 0);
  }
  return total;
}

async function fleetRows(): Promise<BenchRow[]> {
  const server = await startServer(fleetConfig(MONITORS));
  try {
    // Warm-up: until every monitor has stored a point (a full step each).
    const warmEnd = Date.now() + WARMUP_MAX_MS;
    let ready = 0;
    while (Date.now() < warmEnd) {
      ready = (await monitorList(server.base)).filter((m) => m.latest).length;
      if (ready === MONITORS) break;
      await new Promise((r) => setTimeout(r, 2000));
    }
    if (ready < MONITORS) {
      throw new Error(`${ready}/${MONITORS} monitors stored a point in time`);
    }
    const cpu0 = await server.cpuSeconds();
    const w0 = Date.now();
    let peakRss = await server.rss();
    // Per-second shares too: steady probing against the bursts.
    const perSecond: number[] = [];
    let last = { cpu: cpu0, at: w0 };
    while (Date.now() - w0 < WINDOW_MS) {
      await new Promise((r) => setTimeout(r, 1000));
      const now = { cpu: await server.cpuSeconds(), at: Date.now() };
      perSecond.push(100 * (now.cpu - last.cpu) / ((now.at - last.at) / 1000));
      last = now;
      peakRss = Math.max(peakRss, await server.rss());
    }
    const cpu1 = await server.cpuSeconds();
    const w1 = Date.now();
    const endRss = await server.rss();
    const share = 100 * (cpu1 - cpu0) / ((w1 - w0) / 1000);
    // What the stored points count: each monitor's step whose probing ended
    // inside the window (step start + the monitor's offset + the step), one
    // per monitor in a window of one step: 60 s of its probing. Their points
    // are stored by the timeout after the last probe.
    await new Promise((r) => setTimeout(r, 3000));
    let sent = 0, received = 0, points = 0;
    for (let i = 0; i < MONITORS; i += 50) {
      await Promise.all(
        Array.from({ length: 50 }, async (_, k) => {
          const id = `m${i + k}`;
          const res = await fetch(
            `${server.base}/api/monitors/${id}/series?from=${
              w0 - 3 * STEP_MS
            }&to=${w1}&resolution=step`,
          );
          const body = await res.json();
          const offset = stepOffset(id, STEP_MS);
          for (const p of body.points as MonitorPoint[]) {
            const end = p.t + offset + STEP_MS;
            if (end <= w0 || end > w1) continue;
            sent += p.sent;
            received += p.received;
            points++;
          }
        }),
      );
    }
    const pps = sent / ((w1 - w0) / 1000);
    const peer = await fpingShare();
    const lostPct = sent ? 100 * (sent - received) / sent : NaN;
    const mb = (b: number) => b / 1048576;
    return [
      {
        bench: BENCH,
        figure:
          `CPU share of a core, ${MONITORS} monitors × ${PROBES} probes / ${STEP_S} s, ${
            WINDOW_MS / 1000
          } s window (%)`,
        ours: `${num(share, 2)} (1-s samples: median ${
          num(median(perSecond), 1)
        }, max ${num(Math.max(...perSecond), 1)})`,
        peer: peer.share === null
          ? peer.why
          : `fping ${
            num(peer.share, 2)
          } (the same addresses and rate, probing alone)`,
        ratio: ratio(share, peer.share),
        target: "< 5",
        verdict: verdict(share < 5, `${num(share, 2)} %`),
      },
      {
        bench: BENCH,
        figure: "RSS of the service, peak in the window / at its end (MB)",
        ours: `${num(mb(peakRss), 0)} / ${num(mb(endRss), 0)}`,
        peer: "—",
        ratio: "—",
        target: "< 300",
        verdict: verdict(mb(peakRss) < 300, `${num(mb(peakRss), 0)} MB`),
      },
      {
        bench: BENCH,
        figure:
          "probes/s: the stored steps whose probing ended in the window (one per monitor) / window; their loss (%)",
        ours: `${num(pps, 0)}; ${num(lostPct, 3)} (${points} points)`,
        peer: "—",
        ratio: "—",
        target: "≈ 1000; 0",
        verdict: verdict(pps > 900 && sent === received, `${num(pps, 0)}/s`),
      },
    ];
  } finally {
    await server.stop();
  }
}

/** fping's CPU share probing the fleet's addresses at the fleet's rate for one window. */
async function fpingShare(): Promise<{ share: number | null; why: string }> {
  if (!(await findPeers()).fping) {
    return { share: null, why: missingPeer("fping") };
  }
  const file = await Deno.makeTempFile();
  try {
    await Deno.writeTextFile(
      file,
      monitorAddresses(MONITORS).join("\n") + "\n",
    );
    const t0 = performance.now();
    const r = await runTimed("fping", [
      "-C",
      String(WINDOW_MS / 1000),
      "-p",
      String(STEP_MS / PROBES),
      "-i",
      String(STEP_MS / PROBES / MONITORS),
      "-q",
      "-f",
      file,
    ]);
    const wallS = (performance.now() - t0) / 1000;
    if (r.code > 1) return { share: null, why: `fping exit ${r.code}` };
    return { share: 100 * r.cpuSeconds / wallS, why: "" };
  } finally {
    await Deno.remove(file);
  }
}

/** Chart rows: the seeded year served by the real service, timed in Chromium. */
async function yearRows(): Promise<BenchRow[]> {
  let seed: YearSeed | undefined;
  let bytes = 0;
  const server = await startServer(
    `servers:
  - { id: lo4, name: Loopback 4, host: 127.0.0.1 }
monitors:
  - { id: ${MON}, server: lo4, step_s: ${STEP_S}, probes: 20, timeout_ms: 1000 }
`,
    async (kvPath) => {
      seed = await seedYear(kvPath, MON);
      bytes = await kvBytes(kvPath);
    },
  );
  const rows: BenchRow[] = [];
  const s = seed!;
  const points = s.steps + s.hours + s.days;
  rows.push({
    bench: BENCH,
    figure:
      `storage per monitor-year: ${s.steps} steps (14 d) + ${s.hours} hours + ${s.days} days of 60-probe points, KV file (MB; bytes/point)`,
    ours: `${num(bytes / 1048576, 2)}; ${num(bytes / points, 0)}`,
    peer: "—",
    ratio: "—",
    target: "< 10 MB",
    verdict: verdict(bytes < 10 * 1048576, `${num(bytes / 1048576, 1)} MB`),
  });
  if (noBrowser) {
    await server.stop();
    return [...rows, ...skippedRows(BENCH, "no chromium")];
  }
  const browser = await launchBrowser();
  const open: number[] = [];
  const year: number[] = [];
  let yearPoints = 0;
  try {
    const chart = "[data-testid=smoke-chart]";
    const drawn = (resolution: string, min: number) => ({
      fn: ([sel, res, n]: string[]) => {
        const el = document.querySelector(sel) as HTMLElement | null;
        return el?.dataset.resolution === res &&
          Number(el.dataset.points) >= Number(n) &&
          !!el.querySelector("canvas") &&
          !document.querySelector("[data-testid=range-note]")?.textContent
            ?.includes("loading");
      },
      arg: [chart, resolution, String(min)],
    });
    for (let i = 0; i < CHART_RUNS; i++) {
      const ctx = await browser.newContext({
        baseURL: server.base,
        viewport: { width: 1280, height: 900 },
      });
      const page = await ctx.newPage();
      const t0 = performance.now();
      await page.goto(`/monitors/${MON}`);
      const day = drawn("step", 1400);
      await page.waitForFunction(day.fn, day.arg, { timeout: 10_000 });
      open.push(performance.now() - t0);
      const t1 = performance.now();
      await page.click('button[data-range="1y"]');
      const y = drawn("day", 360);
      await page.waitForFunction(y.fn, y.arg, { timeout: 10_000 });
      // Drawn: the frame after the data arrived.
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(r)));
      year.push(performance.now() - t1);
      yearPoints = Number(await page.getAttribute(chart, "data-points"));
      await ctx.close();
    }
  } finally {
    await browser.close();
    await server.stop();
  }
  const y = median(year)!;
  rows.push(
    {
      bench: BENCH,
      figure:
        `smoke chart, click "1y" to drawn (${yearPoints} day points), Chromium, median of ${CHART_RUNS} (ms)`,
      ours: num(y, 0),
      peer: "—",
      ratio: "—",
      target: "< 1000",
      verdict: verdict(y < 1000, `${num(y, 0)} ms`),
    },
    {
      bench: BENCH,
      figure:
        `smoke chart, open /monitors/<id> to a day of steps drawn (1,440 points), median of ${CHART_RUNS} (ms)`,
      ours: num(median(open), 0),
      peer: "—",
      ratio: "—",
      target: "—",
      verdict: "—",
    },
  );
  return rows;
}

const brief = (e: unknown) => (e as Error).message.slice(0, 300);

export async function monitorsBench(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  try {
    rows.push(...await yearRows());
  } catch (e) {
    rows.push(
      ...skippedRows(`${BENCH} (year)`, `failed: ${brief(e)}`),
    );
  }
  try {
    rows.push(...await fleetRows());
  } catch (e) {
    rows.push(
      ...skippedRows(`${BENCH} (1,000)`, `failed: ${brief(e)}`),
    );
  }
  return rows;
}
