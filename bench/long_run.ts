// Benchmark 6: a test of 86,400 probes (a day at one per second) driven fast
// (1 ms interval) against loopback through the service in its own process:
// storage bytes, server memory, and the time to open its page and export it.
import { type BenchRow, num } from "./report.ts";
import { postTest, startServer, waitForTest } from "./server_process.ts";
import { LOOPBACK_CONFIG } from "./live_path.ts";
import { withChromium } from "./page.ts";
import { chartComplete } from "./big_tests.ts";

const BENCH = "6 Long test";
const COUNT = 86_400;

/** Bytes of the KV database and its SQLite side files. */
async function kvBytes(kvPath: string): Promise<number> {
  const dir = kvPath.slice(0, kvPath.lastIndexOf("/"));
  const base = kvPath.slice(kvPath.lastIndexOf("/") + 1);
  let total = 0;
  for await (const e of Deno.readDir(dir)) {
    if (e.isFile && e.name.startsWith(base)) {
      total += (await Deno.stat(`${dir}/${e.name}`)).size;
    }
  }
  return total;
}

/** GETs a URL to its end; time, bytes, and the peak server RSS meanwhile. */
async function timedGet(
  url: string,
  rss: () => Promise<number>,
): Promise<{ status: number; ms: number; bytes: number; peakRss: number }> {
  let peakRss = 0;
  let done = false;
  const sampler = (async () => {
    while (!done) {
      peakRss = Math.max(peakRss, await rss());
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  const t0 = performance.now();
  const res = await fetch(url);
  const body = new Uint8Array(await res.arrayBuffer());
  const ms = performance.now() - t0;
  done = true;
  await sampler;
  return { status: res.status, ms, bytes: body.length, peakRss };
}

const mib = (b: number) => num(b / 1048576, 1);

/** Opens /tests/<id> in Chromium: ms until its charts show the test's series. */
async function browserOpen(base: string, id: string): Promise<string> {
  try {
    const ms = await withChromium(async (browser) => {
      const page = await browser.newPage();
      const t0 = performance.now();
      await page.goto(`${base}/tests/${id}`);
      await page.waitForFunction(...chartComplete(), {
        polling: 50,
        timeout: 120_000,
      });
      return performance.now() - t0;
    });
    return ms === null ? "n/a (no Chromium)" : num(ms, 0);
  } catch (e) {
    return `failed: ${(e as Error).message.split("\n")[0]}`;
  }
}

export async function longTestBench(): Promise<BenchRow[]> {
  const server = await startServer(LOOPBACK_CONFIG(
    "limits: { min_interval_ms: 1, max_count: 100000, max_pps: 2000 }",
  ));
  try {
    const rss0 = await server.rss();
    const t0 = performance.now();
    const id = await postTest(server.base, {
      targets: ["lo4"],
      interval_ms: 1,
      count: COUNT,
      timeout_ms: 1000,
    });
    let peakRss = rss0;
    const status = await waitForTest(server.base, id, 300_000, async () => {
      peakRss = Math.max(peakRss, await server.rss());
    });
    const runS = (performance.now() - t0) / 1000;
    const meta = await (await fetch(`${server.base}/api/tests/${id}`)).json();
    const sum = meta.summary?.[0];
    const rssAfter = await server.rss();
    const storage = await kvBytes(server.kvPath);

    let page = await timedGet(`${server.base}/tests/${id}`, server.rss);
    let pageNote = `/tests/${id}`;
    if (page.status === 404) {
      page = await timedGet(`${server.base}/api/tests/${id}`, server.rss);
      pageNote = "/api/tests/<id> (no /tests/<id> page: web UI not built)";
    }
    const csv = await timedGet(
      `${server.base}/api/tests/${id}/export?format=csv`,
      server.rss,
    );
    const json = await timedGet(
      `${server.base}/api/tests/${id}/export?format=json`,
      server.rss,
    );
    // Last: replaying 86,400 events to the browser leaves garbage behind
    // that would blur the exports' memory figures.
    const inBrowser = await browserOpen(server.base, id);
    const probes = `${sum?.sent ?? "?"} sent, ${sum?.received ?? "?"} received`;
    const row = (figure: string, ours: string): BenchRow => ({
      bench: BENCH,
      figure,
      ours,
      peer: "—",
      ratio: "—",
      target: "report",
      verdict: "—",
    });
    return [
      row(
        `storage, MiB (KV file, ${COUNT} probes at 1 ms: ${status} in ${
          num(runS, 1)
        } s, ${probes})`,
        `${mib(storage)} (${num(storage / COUNT, 0)} B/probe)`,
      ),
      row(
        "server RSS, MiB: before → peak during the test → after",
        `${mib(rss0)} → ${mib(peakRss)} → ${mib(rssAfter)}`,
      ),
      row(
        `GET its page: ${pageNote}, ms (HTTP ${page.status}, ${
          num(page.bytes / 1024, 0)
        } KiB)`,
        num(page.ms, 0),
      ),
      row(
        `open its page in headless Chromium until the charts show all ${COUNT} probes (downsampled series, bench 14), ms`,
        inBrowser,
      ),
      row(
        `export CSV, ms (${mib(csv.bytes)} MiB; server peak RSS ${
          mib(csv.peakRss)
        } MiB)`,
        num(csv.ms, 0),
      ),
      row(
        `export JSON, ms (${mib(json.bytes)} MiB; server peak RSS ${
          mib(json.peakRss)
        } MiB)`,
        num(json.ms, 0),
      ),
    ];
  } finally {
    await server.stop();
  }
}
