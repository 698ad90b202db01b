// The HTML pages: rendered here from the runner and config (no API round
// trip); the islands in them then use the JSON API and SSE.
import type { Context, Hono } from "hono";
import type { Config } from "../server/config/config.ts";
import { ApiError } from "../server/http/problem.ts";
import { parseTestListQuery } from "../server/runs/run_list.ts";
import type { TestMeta } from "../model/run.ts";
import type { Runner } from "../server/runs/runner.ts";
import { mountAssets } from "./assets.ts";
import { dashboardPage } from "./dashboard_page.tsx";
import { historyPage } from "./history_page.tsx";
import { type Page, renderPage } from "./layout.tsx";
import { notFoundPage } from "./not_found_page.tsx";
import { signedIn } from "./signed_in.ts";
import { testPage } from "./test_page.tsx";

const HISTORY_PAGE = 50;
/** Tests listed under the dashboard's form. */
const RECENT = 5;
const FILTERS = ["target", "status", "from", "to"];

/** Viewers may look but not start or stop (the API refuses them anyway). */
const readOnly = (c: Context) => signedIn(c)?.role === "viewer";

const html = (c: Context, page: Page, status: 200 | 400 | 404 = 200) => {
  c.header("cache-control", "no-store");
  return c.html(renderPage(page, signedIn(c)), status);
};

export function mountPages(
  app: Hono,
  { config, runner }: { config: Config; runner: Runner },
): void {
  mountAssets(app);
  // A browser asking for a page that does not exist gets a page, not JSON.
  app.use("*", async (c, next) => {
    await next();
    if (
      c.res.status === 404 && c.req.method === "GET" &&
      !c.req.path.startsWith("/api/") &&
      c.res.headers.get("content-type") === "application/problem+json" &&
      /text\/html/.test(c.req.header("accept") ?? "")
    ) {
      const page = notFoundPage(`There is no page at ${c.req.path}.`);
      c.res = new Response(renderPage(page, signedIn(c)), {
        status: 404,
        headers: {
          "content-type": "text/html; charset=UTF-8",
          "cache-control": "no-store",
        },
      });
    }
  });

  const withSummaries = (tests: TestMeta[]) =>
    Promise.all(tests.map(async (meta) => ({
      meta,
      summary: await runner.summary(meta.id) ?? runner.liveStats(meta.id),
    })));

  app.get("/", async (c) => {
    const { tests } = await runner.page({ limit: RECENT, after: null });
    const recent = await withSummaries(tests);
    return html(c, dashboardPage(config, recent, readOnly(c)));
  });

  app.get("/tests", async (c) => {
    const filters: Record<string, string> = {};
    for (const k of FILTERS) {
      const v = c.req.query(k)?.trim();
      if (v) filters[k] = v;
    }
    // A date alone as "to" means the whole of that day.
    const to = filters.to && /^\d{4}-\d{2}-\d{2}$/.test(filters.to)
      ? `${filters.to}T23:59:59.999Z`
      : filters.to;
    let view;
    try {
      const q = parseTestListQuery({
        ...filters,
        ...(to ? { to } : {}),
        limit: String(HISTORY_PAGE),
        cursor: c.req.query("cursor"),
      }, config);
      const page = await runner.page(q);
      const rows = await withSummaries(page.tests);
      view = { rows, filters, next_cursor: page.next_cursor, error: null };
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      view = { rows: [], filters, next_cursor: null, error: e.message };
    }
    return html(c, historyPage(config, view), view.error ? 400 : 200);
  });

  app.get("/tests/:id", async (c) => {
    const id = c.req.param("id");
    const meta = await runner.get(id);
    if (!meta) {
      return html(c, notFoundPage(`There is no test with id “${id}”.`), 404);
    }
    const reports = await runner.summary(id) ?? runner.liveStats(id);
    return html(c, testPage(meta, reports, c.req.url, readOnly(c)), 200);
  });
}
