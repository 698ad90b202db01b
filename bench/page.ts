// Benchmark 5: the dashboard's JavaScript and CSS bytes (gzip), and the time
// from clicking Start to the first chart point in headless Chromium, against
// the UI contract (plan/ui_contract.md): [data-testid=start], server
// checkboxes, and charts whose data-points attribute counts plotted points.
import { type BenchRow, num, skippedRows } from "./report.ts";
import { startServer } from "./server_process.ts";
import { LOOPBACK_CONFIG } from "./live_path.ts";
import { median } from "./quantile.ts";
import type { Browser } from "playwright-core";
import { CHROMIUM, launchBrowser, noBrowser } from "../testing/browser_kit.ts";

const BENCH = "5 Page";
const RUNS = 3;

async function gzipBytes(bytes: Uint8Array): Promise<number> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(
    new CompressionStream("gzip"),
  );
  return (await new Response(stream).arrayBuffer()).byteLength;
}

const attr = (tag: string, name: string) =>
  new RegExp(`\\s${name}\\s*=\\s*["']([^"']*)["']`, "i").exec(tag)?.[1];

/** Every JS and CSS URL the page loads up front: tags, then static imports. */
async function assetBytes(
  base: string,
  html: string,
): Promise<{ js: number; css: number; files: number }> {
  const js = new Set<string>();
  const css = new Set<string>();
  const inline: string[] = [];
  for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
    const src = attr(m[0].slice(0, m[0].indexOf(">") + 1), "src");
    if (src) js.add(new URL(src, base + "/").href);
    else if (/type\s*=\s*["']module["']/i.test(m[1])) inline.push(m[2]);
  }
  for (const m of html.matchAll(/<link\b[^>]*>/gi)) {
    const rel = attr(m[0], "rel")?.toLowerCase() ?? "";
    const href = attr(m[0], "href");
    if (!href) continue;
    if (rel.split(/\s+/).includes("stylesheet")) {
      css.add(new URL(href, base + "/").href);
    } else if (rel.split(/\s+/).includes("modulepreload")) {
      js.add(new URL(href, base + "/").href);
    }
  }
  const importsOf = (code: string, from: string) =>
    [
      ...code.matchAll(
        /(?:^|[;\s}])(?:import|export)\s*(?:[\w$*{}\s,]+?\s*from\s*)?["']([^"']+)["']/g,
      ),
    ].map((m) => new URL(m[1], from).href);
  for (const code of inline) {
    for (const u of importsOf(code, base + "/")) js.add(u);
  }
  let jsGz = 0, cssGz = 0;
  const seen = new Set<string>();
  const queue = [...js];
  while (queue.length) {
    const url = queue.shift()!;
    if (seen.has(url) || !url.startsWith(base)) continue;
    seen.add(url);
    const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
    jsGz += await gzipBytes(bytes);
    queue.push(...importsOf(new TextDecoder().decode(bytes), url));
  }
  for (const url of css) {
    const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
    cssGz += await gzipBytes(bytes);
  }
  return { js: jsGz, css: cssGz, files: seen.size + css.size };
}

/** Runs `fn` with headless Chromium (the Debian package); null when it is not installed. */
export async function withChromium<T>(
  fn: (browser: Browser) => Promise<T>,
): Promise<T | null> {
  if (noBrowser) return null;
  const browser = await launchBrowser();
  try {
    return await fn(browser);
  } finally {
    await browser.close();
  }
}

/** Waits until some chart plots at least `n` points; the in-page test of the UI contract. */
export function chartPoints(n: number) {
  return [
    (min: number) =>
      [...document.querySelectorAll("[data-testid=chart]")].some((e) =>
        Number(e.getAttribute("data-points")) >= min
      ),
    n,
  ] as const;
}

/** ms from the Start click to the first chart with data-points ≥ 1 (median of RUNS). */
async function startToFirstPoint(browser: Browser, base: string) {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const page = await browser.newPage();
    await page.goto(base + "/", { waitUntil: "load" });
    const box = page.locator('input[type=checkbox][name=server][value="lo4"]');
    if (!(await box.isChecked())) await box.check();
    await page.fill("input[name=interval_ms]", "100");
    await page.fill("input[name=count]", "20");
    const t0 = performance.now();
    await page.click("[data-testid=start]");
    await page.waitForFunction(...chartPoints(1), {
      polling: 5,
      timeout: 15_000,
    });
    times.push(performance.now() - t0);
    await page.close();
    // Let the short test finish so runs do not overlap.
    await new Promise((r) => setTimeout(r, 2500));
  }
  return median(times);
}

export async function pageBench(): Promise<BenchRow[]> {
  const server = await startServer(LOOPBACK_CONFIG());
  try {
    const res = await fetch(server.base + "/");
    const html = await res.text();
    if (!html.includes('data-testid="start"')) {
      return skippedRows(BENCH, "n/a (web UI not built)");
    }
    const bytes = await assetBytes(server.base, html);
    let browserNote = "";
    let ms: number | null = null;
    try {
      ms = await withChromium((browser) =>
        startToFirstPoint(browser, server.base)
      );
      if (ms === null) {
        browserNote =
          `skipped: ${CHROMIUM} not found (apt-get install -y chromium)`;
      }
    } catch (e) {
      browserNote = `failed: ${(e as Error).message.split("\n")[0]}`;
    }
    return [
      {
        bench: BENCH,
        figure: `dashboard JS + CSS, gzip KiB (${bytes.files} files)`,
        ours: `JS ${num(bytes.js / 1024, 1)} + CSS ${num(bytes.css / 1024, 1)}`,
        peer: "—",
        ratio: "—",
        target: "report",
        verdict: "—",
      },
      {
        bench: BENCH,
        figure:
          `Start click → first chart point, ms (headless Chromium, loopback, median of ${RUNS})`,
        ours: num(ms, 0),
        peer: "—",
        ratio: "—",
        target: "report",
        verdict: browserNote || "—",
      },
    ];
  } finally {
    await server.stop();
  }
}
