// Browser tests' harness: Debian's chromium driven by playwright-core, a real
// server process on a free port with a temp KV file, and a screenshot of each
// test under artifacts/. Tests skip (ignore) with a printed reason when
// chromium is missing.
import type { Browser, BrowserContext, Page } from "playwright-core";
import {
  postTest,
  type Server,
  startServer,
  stopServer,
  waitForTestEnd,
} from "./server_process.ts";
import { startTcpProxy, type TcpProxy } from "./tcp_proxy.ts";
import { gate } from "./gate.ts";

// playwright-core checks for WSL when it loads by probing
// /proc/sys/fs/binfmt_misc, which Deno allows only with --allow-all (the test
// task grants less). Its own test switch skips the probe; the result only
// matters for opening URLs on WSL, which these tests never do.
Deno.env.set("__IS_WSL_TEST__", "1");
const { chromium } = await import("playwright-core");

export const CHROMIUM = Deno.env.get("PLA_CHROMIUM") ?? "/usr/bin/chromium";
const ARTIFACTS = new URL("../artifacts/", import.meta.url);

/** Path of a file under artifacts/ (git-ignored), creating the folder. */
export function artifactPath(file: string): string {
  Deno.mkdirSync(ARTIFACTS, { recursive: true });
  return new URL(file, ARTIFACTS).pathname;
}

function missingReason(): string | null {
  try {
    Deno.statSync(CHROMIUM);
    return null;
  } catch {
    return `${CHROMIUM} not found (apt-get install chromium)`;
  }
}

/** True when browser tests cannot run here (the reason is printed, or fails the run under CI=true). */
export const noBrowser = gate("browser tests", missingReason());

export async function launchBrowser(): Promise<Browser> {
  return await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      // Host candidates for device tests (WebRTC) instead of mDNS names.
      "--disable-features=WebRtcHideLocalIpsWithMdns",
    ],
  });
}

export interface BrowserKit {
  server: Server;
  /** The browser's way to the server: drop its connections with dropAll(). */
  proxy: TcpProxy;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Path of a file under artifacts/. */
  artifact(name: string): string;
}

export interface KitOptions {
  viewport?: { width: number; height: number };
  colorScheme?: "light" | "dark";
  /** The server's YAML config; default: the embedded loopback one. */
  config?: string;
  /** Writes stored history into the server's KV file before it starts. */
  seed?: (kvPath: string) => Promise<void>;
}

/**
 * Runs `fn` against a fresh server and browser page; saves
 * artifacts/<name>.png (full page) at the end, also when `fn` fails.
 */
export async function withBrowser(
  name: string,
  fn: (kit: BrowserKit) => Promise<void>,
  options: KitOptions = {},
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "pla-browser-" });
  await options.seed?.(`${dir}/pla.kv`);
  const server = await startServer({
    dir,
    config: options.config,
    kvPath: `${dir}/pla.kv`,
  });
  const proxy = startTcpProxy(Number(new URL(server.base).port));
  const browser = await launchBrowser();
  try {
    const context = await browser.newContext({
      baseURL: `http://127.0.0.1:${proxy.port}`,
      viewport: options.viewport ?? { width: 1280, height: 900 },
      colorScheme: options.colorScheme ?? "light",
      acceptDownloads: true,
    });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    const artifact = artifactPath;
    try {
      await fn({ server, proxy, browser, context, page, artifact });
      if (errors.length) throw new Error(`page errors: ${errors.join("; ")}`);
    } finally {
      await page.screenshot({ path: artifact(`${name}.png`), fullPage: true })
        .catch((e) => console.error(`screenshot ${name}: ${e.message}`));
    }
  } finally {
    await browser.close();
    proxy.close();
    await stopServer(server);
    await Deno.remove(dir, { recursive: true });
  }
}

/** The chart's plotted probe points (its data-points attribute). */
export async function chartPoints(page: Page, target: string): Promise<number> {
  return Number(
    await page.getAttribute(
      `[data-testid=chart][data-target="${target}"]`,
      "data-points",
    ),
  );
}

/** Waits until the chart of `target` plots at least `n` points. */
export async function waitForPoints(
  page: Page,
  target: string,
  n: number,
  timeout = 15_000,
): Promise<void> {
  await page.waitForFunction(
    ([t, min]) =>
      Number(
        document.querySelector(`[data-testid=chart][data-target="${t}"]`)
          ?.getAttribute("data-points"),
      ) >= Number(min),
    [target, String(n)],
    { timeout },
  );
}

/** Waits for the test status to leave "running"; returns it. */
export async function waitForEnd(
  page: Page,
  timeout = 30_000,
): Promise<string> {
  await page.waitForFunction(
    () => {
      const s = document.querySelector("[data-testid=status]")?.textContent;
      return s && s !== "running";
    },
    null,
    { timeout },
  );
  return (await page.textContent("[data-testid=status]"))!;
}

/** A cell of the summary table. */
export async function summaryCell(
  page: Page,
  target: string,
  col: string,
): Promise<string> {
  return (await page.textContent(
    `table[data-testid=summary] tr[data-target="${target}"] [data-col=${col}]`,
  ))!.trim();
}

/** Starts a loopback test through the API and waits until it has finished. */
export async function finishedTest(
  base: string,
  body: Record<string, unknown>,
): Promise<string> {
  const id = await postTest(base, body);
  await waitForTestEnd(base, id, 30_000, { everyMs: 100 });
  return id;
}
