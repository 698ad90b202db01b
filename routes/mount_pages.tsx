// The HTML pages: rendered here from the runner and config (no API round
// trip); the islands in them then use the JSON API and SSE.
import type { SeriesService } from "../server/series/series_service.ts";
import type { Context, Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { Config } from "../server/config/config.ts";
import { problemOf } from "../server/http/problem.ts";
import { listQueryOf, testListQuery } from "../server/http/api_params.ts";
import { parseQuery } from "../server/http/validation.ts";
import type { TestMeta } from "../model/run.ts";
import type { AgentInfo } from "../model/agent.ts";
import type { Runner } from "../server/runs/runner.ts";
import { mountAssets } from "./assets.ts";
import { dashboardPage } from "./dashboard_page.tsx";
import { historyPage } from "./history_page.tsx";
import { type Page, renderPage } from "./layout.tsx";
import { notFoundPage } from "./not_found_page.tsx";
import { TEST_ID } from "../server/runs/run_id.ts";
import { signedIn } from "./signed_in.ts";
import { testPage } from "./test_page.tsx";
import { devicePage, deviceTestPage } from "./device_page.tsx";
import { type MonitorPages, noMonitors } from "./monitor_data.ts";
import { monitorsPage } from "./monitors_page.tsx";
import { monitorPage } from "./monitor_page.tsx";
import { compareIds, comparePage } from "./compare_page.tsx";

const HISTORY_PAGE = 50;
/** Tests listed under the dashboard's form. */
const RECENT = 5;
const FILTERS = ["target", "status", "from", "to"];

/** Viewers may look but not start or stop (the API refuses them anyway). */
const readOnly = (c: Context) => signedIn(c)?.role === "viewer";

const ROLE_RANK: Record<string, number> = { viewer: 0, operator: 1, admin: 2 };

const html = (c: Context, page: Page, status: ContentfulStatusCode = 200) => {
  c.header("cache-control", "no-store");
  return c.html(renderPage(page, signedIn(c)), status);
};

export function mountPages(
  app: Hono,
  { config, runner, monitorPages = noMonitors, agents, series }: {
    config: Config;
    runner: Runner;
    /** A finished tls test's last handshakes come from its series index. */
    series?: SeriesService;
    /** Probe agents, listed on the dashboard. */
    agents?: { agents(): Promise<AgentInfo[]> };
    /** The monitors' state for /monitors and /monitors/:id. */
    monitorPages?: MonitorPages;
  },
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
    return html(
      c,
      dashboardPage(config, recent, readOnly(c), await agents?.agents() ?? []),
    );
  });

  // The same query schema as GET /api/tests, errors mapped as the API maps them.
  const listQuery = testListQuery(config.servers);
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
    let status: ContentfulStatusCode = 200;
    try {
      const q = parseQuery(listQuery, {
        ...filters,
        ...(to ? { to } : {}),
        limit: String(HISTORY_PAGE),
        cursor: c.req.query("cursor"),
      });
      const page = await runner.page(listQueryOf(q));
      const rows = await withSummaries(page.tests);
      view = { rows, filters, next_cursor: page.next_cursor, error: null };
    } catch (e) {
      // The API's mapping: the same status and message as GET /api/tests.
      const problem = problemOf(e);
      if (!problem) throw e;
      status = problem.status as ContentfulStatusCode;
      view = {
        rows: [],
        filters,
        next_cursor: null,
        error: problem.body.detail,
      };
    }
    return html(c, historyPage(config, view), status);
  });

  app.get("/tests/:id", async (c) => {
    const id = c.req.param("id");
    // Not an id this service makes (e.g. too long for a KV key): 404 before
    // storage is asked, as the API's checkTestId does.
    const meta = TEST_ID.test(id) ? await runner.get(id) : null;
    if (!meta) {
      const shown = id.length > 64 ? `${id.slice(0, 64)}…` : id;
      return html(c, notFoundPage(`There is no test with id “${shown}”.`), 404);
    }
    if (meta.kind === "device") {
      return html(c, deviceTestPage(meta, c.req.url, readOnly(c)), 200);
    }
    const reports = await runner.summary(id) ?? runner.liveStats(id);
    // A finished test is not replayed: its TLS panel needs the last handshakes.
    const tls = series && meta.status !== "running" &&
        meta.settings.probe?.kind === "tls" && meta.settings.mode !== "path"
      ? await series.latestTls(meta)
      : undefined;
    return html(
      c,
      testPage(meta, reports, c.req.url, readOnly(c), tls),
      200,
    );
  });

  app.get("/compare", async (c) => {
    const asked = c.req.queries("tests") ?? [];
    const ids = compareIds(asked);
    if (typeof ids === "string") {
      return html(c, notFoundPage(ids, "Cannot compare"), 400);
    }
    // The history form repeats the parameter: one shareable comma list.
    if (asked.length > 1) {
      return c.redirect(`/compare?tests=${ids.map(encodeURIComponent)}`, 303);
    }
    const metas = await Promise.all(
      ids.map((id) => TEST_ID.test(id) ? runner.get(id) : null),
    );
    const missing = ids.find((_, i) => !metas[i]);
    if (missing !== undefined) {
      return html(
        c,
        notFoundPage(`There is no test with id “${missing.slice(0, 64)}”.`),
        404,
      );
    }
    const tests = await Promise.all(metas.map(async (meta) => ({
      meta: meta!,
      reports: await runner.summary(meta!.id) ?? runner.liveStats(meta!.id),
    })));
    return html(c, comparePage(tests));
  });
  // Whether the signed-in role reaches device_test.role (open auth: yes).
  const mayRunDevice = (c: Context) => {
    const who = signedIn(c);
    return !who ||
      (ROLE_RANK[who.role] ?? -1) >= ROLE_RANK[config.device_test.role];
  };
  app.get("/device", (c) => html(c, devicePage(!mayRunDevice(c))));

  app.get("/monitors", async (c) => {
    return html(c, monitorsPage(await monitorPages.list()));
  });

  app.get("/monitors/:id", async (c) => {
    const id = c.req.param("id");
    const m = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(id)
      ? await monitorPages.get(id)
      : null;
    if (!m) {
      const shown = id.length > 64 ? `${id.slice(0, 64)}…` : id;
      return html(
        c,
        notFoundPage(`There is no monitor with id “${shown}”.`),
        404,
      );
    }
    return html(c, monitorPage(m, readOnly(c)));
  });
}
