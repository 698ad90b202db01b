// Browser tests' harness: Debian's chromium driven by playwright-core, a real
// server process on a free port with a temp KV file, and a screenshot of each
// test under artifacts/. Tests skip (ignore) with a printed reason when
// chromium is missing.
import {
  type Browser,
  type BrowserContext,
  chromium,
  type Page,
} from "playwright-core";
import { type ServerProcess, startServer } from "./server_process.ts";

export const CHROMIUM = Deno.env.get("PLA_CHROMIUM") ?? "/usr/bin/chromium";
const ARTIFACTS = new URL("../artifacts/", import.meta.url);

function missingReason(): string | null {
  try {
    Deno.statSync(CHROMIUM);
    return null;
  } catch {
    return `${CHROMIUM} not found (apt-get install chromium)`;
  }
}

/** Why browser tests cannot run here, or null when they can. */
export const chromiumMissing = missingReason();
if (chromiumMissing) console.log(`browser tests skipped: ${chromiumMissing}`);

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
    ],
  });
}

export interface BrowserKit {
  server: ServerProcess;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Path of a file under artifacts/. */
  artifact(name: string): string;
}

export interface KitOptions {
  viewport?: { width: number; height: number };
  colorScheme?: "light" | "dark";
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
  await Deno.mkdir(ARTIFACTS, { recursive: true });
  const dir = await Deno.makeTempDir({ prefix: "pla-browser-" });
  const server = await startServer(dir);
  const browser = await launchBrowser();
  try {
    const context = await browser.newContext({
      baseURL: server.base,
      viewport: options.viewport ?? { width: 1280, height: 900 },
      colorScheme: options.colorScheme ?? "light",
      acceptDownloads: true,
    });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    const artifact = (file: string) => new URL(file, ARTIFACTS).pathname;
    try {
      await fn({ server, browser, context, page, artifact });
      if (errors.length) throw new Error(`page errors: ${errors.join("; ")}`);
    } finally {
      await page.screenshot({ path: artifact(`${name}.png`), fullPage: true })
        .catch((e) => console.error(`screenshot ${name}: ${e.message}`));
    }
  } finally {
    await browser.close();
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
}
