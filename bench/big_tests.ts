// Benchmark 14: big tests open instantly. Finished tests of 86,400 (a day at
// 1/s) and 864,000 probes (a day at 10/s) are written straight into the KV
// file (testing/stored_big_test.ts), then opened in headless Chromium: time
// from navigation to complete charts (the RTT chart holds the server's
// series), bytes the browser received, zoom fetches; the old path (the SSE
// replay of every stored event) beside it for 86,400; and the browser's
// memory after an 8-hour live test at 10 probes/s (bench/big_live.ts).
import type { Browser } from "playwright-core";
import { type BenchRow, num, verdict } from "./report.ts";
import { startServer } from "./server_process.ts";
import { LOOPBACK_CONFIG } from "./live_path.ts";
import { withChromium } from "./page.ts";
import { type BigTest, seedBigTests } from "../testing/stored_big_test.ts";
import { liveMemoryRows } from "./big_live.ts";

const BENCH = "16 Big tests";
const SIZES = [
  { id: "day1s", probes: 86_400, intervalMs: 1000 },
  { id: "day10s", probes: 864_000, intervalMs: 100 },
];

/** Waits in the page until the RTT chart shows the server's series (data-from set). */
export function chartComplete() {
  return [
    () =>
      [...document.querySelectorAll("[data-testid=chart]")].length > 0 &&
      [...document.querySelectorAll("[data-testid=chart]")].every((e) =>
        e.hasAttribute("data-from")
      ),
    null,
  ] as const;
}

/** Opens a page; ms to complete charts and the bytes of every response. */
async function openTimed(browser: Browser, url: string) {
  const page = await browser.newPage();
  let bytes = 0, seriesBytes = 0;
  page.on("requestfinished", async (req) => {
    const s = await req.sizes().catch(() => null);
    if (!s) return;
    const n = s.responseBodySize + s.responseHeadersSize;
    bytes += n;
    if (req.url().includes("/series")) seriesBytes += n;
  });
  const t0 = performance.now();
  await page.goto(url);
  await page.waitForFunction(...chartComplete(), {
    polling: "raf",
    timeout: 120_000,
  });
  const ms = performance.now() - t0;
  await page.waitForLoadState("networkidle");
  await page.close();
  return { ms, bytes, seriesBytes };
}

/** Median ms of `runs` GETs of a URL, and the body size. */
async function getMs(url: string, runs = 5) {
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const res = await fetch(url);
    bytes = (await res.arrayBuffer()).byteLength;
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { ms: times[runs >> 1], bytes };
}

/** The old path's transfer: every stored event over SSE, read to its end. */
async function replayTimed(base: string, id: string) {
  const t0 = performance.now();
  const res = await fetch(`${base}/api/tests/${id}/events`);
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let bytes = 0, tail = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    bytes += value.length;
    tail = (tail + dec.decode(value)).slice(-200);
    if (tail.includes("event: end")) break;
  }
  await reader.cancel();
  return { ms: performance.now() - t0, bytes };
}

const row = (figure: string, ours: string, target = "report", v = "—") => ({
  bench: BENCH,
  figure,
  ours,
  peer: "—",
  ratio: "—",
  target,
  verdict: v,
});
const kib = (b: number) => num(b / 1024, 0);

export async function bigTestsBench(): Promise<BenchRow[]> {
  let plans: BigTest[] = [];
  const t0 = performance.now();
  const server = await startServer(LOOPBACK_CONFIG(), async (kv) => {
    // Recent enough that the server's retention keeps them.
    const start = Date.now() - 3 * 86_400_000;
    plans = await seedBigTests(
      kv,
      SIZES.map((s) => ({ ...s, t0: start, target: "lo4" })),
    );
  });
  const seedS = (performance.now() - t0) / 1000;
  const rows: BenchRow[] = [];
  try {
    const opened = await withChromium(async (browser) => {
      const out = [];
      for (const plan of plans) {
        const url = `${server.base}/tests/${plan.meta.id}`;
        const cold = await openTimed(browser, url);
        const warm = await openTimed(browser, url);
        out.push({ plan, cold, warm });
      }
      return out;
    });
    for (const plan of plans) {
      const n = plan.meta.settings.count!;
      const o = opened?.find((x) => x.plan === plan);
      if (o) {
        rows.push(
          row(
            `${n} probes: navigation → complete charts in Chromium, ms (first open, building the series index)`,
            num(o.cold.ms, 0),
          ),
          row(
            `${n} probes: navigation → complete charts in Chromium, ms (again: index cached)`,
            num(o.warm.ms, 0),
            "< 1000",
            verdict(o.warm.ms < 1000, `${num(o.warm.ms, 0)} ms`),
          ),
          row(
            `${n} probes: bytes to the browser, KiB (all responses of the page; of which the series JSON)`,
            `${kib(o.warm.bytes)} (${kib(o.warm.seriesBytes)})`,
          ),
        );
      } else rows.push(row(`${n} probes: Chromium rows`, "n/a (no Chromium)"));
      // Zoom: a tenth of the test (buckets), and a minute around the loss (raw).
      const mid = plan.lost[0];
      const tenth = await getMs(
        `${server.base}/api/tests/${plan.meta.id}/series?points=1000&from=${
          plan.at(Math.floor(n * 0.45))
        }&to=${plan.at(Math.floor(n * 0.55))}`,
      );
      const perMinute = 60_000 / plan.meta.settings.interval_ms;
      const minute = await getMs(
        `${server.base}/api/tests/${plan.meta.id}/series?points=1000&from=${
          plan.at(mid - perMinute / 2)
        }&to=${plan.at(mid + perMinute / 2)}`,
      );
      const worst = Math.max(tenth.ms, minute.ms);
      rows.push(row(
        `${n} probes: zoom fetch GET series, ms, median of 5 (a tenth of the test, 1000 buckets, ${
          kib(tenth.bytes)
        } KiB / a minute around the loss, ${perMinute} raw probes, ${
          kib(minute.bytes)
        } KiB)`,
        `${num(tenth.ms, 1)} / ${num(minute.ms, 1)}`,
        "< 200",
        verdict(worst < 200, `${num(worst, 0)} ms`),
      ));
    }
    // The old path for the day at 1/s: what replaying every event meant.
    const day = plans[0];
    const replay = await replayTimed(server.base, day.meta.id);
    rows.push(row(
      `${day.meta.settings.count} probes, old path: SSE replay of every stored event read to its end (no drawing), ms (KiB)`,
      `${num(replay.ms, 0)} (${kib(replay.bytes)})`,
    ));
    rows.push(row(
      "seeding: both tests written into the KV file through the store, s",
      num(seedS, 1),
    ));
  } finally {
    await server.stop();
  }
  rows.push(...await liveMemoryRows(BENCH));
  return rows;
}

if (import.meta.main) {
  const { markdownTable } = await import("./report.ts");
  console.log(markdownTable(await bigTestsBench()));
}
