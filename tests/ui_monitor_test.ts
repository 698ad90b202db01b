// Browser: /monitors and /monitors/{id} in Chromium. The pages come from the
// app (in-process, loopback) with a fixture MonitorPages; the monitor JSON
// API and its SSE stream are served by route interception with a day of
// 1-minute steps (a 30-minute gap, a 10-minute outage with loss around it)
// and the alert that outage fired and resolved.
import assert from "node:assert/strict";
import type { Page, Route } from "playwright-core";
import { withApiKit } from "../testing/api_testkit.ts";
import {
  artifactPath,
  launchBrowser,
  noBrowser,
} from "../testing/browser_kit.ts";
import {
  type DayFixture,
  dayFixture,
  fixturePages,
  point,
  seriesOf,
  statuses,
  STEP_MS,
} from "../testing/monitor_fixture.ts";

const MON = "gw-watch";

interface SeriesCall {
  id: string;
  from: number;
  to: number;
  resolution: string;
}

/** Serves the monitor API from `day`; records the series requests; holds the SSE stream until `release`. */
async function mockApi(page: Page, day: DayFixture) {
  const calls: SeriesCall[] = [];
  let release: (body: string) => void = () => {};
  const sseBody = new Promise<string>((r) => release = r);
  let sseRequests = 0;
  await page.route(/\/api\/monitors\/events/, async (route: Route) => {
    // The first connection gets the events the test releases; reconnects
    // wait for good (the page closes first).
    if (sseRequests++ > 0) return;
    const body = await sseBody;
    await route.fulfill({
      status: 200,
      headers: {
        "content-type": "text/event-stream",
        "cache-control": "no-cache",
      },
      body,
    }).catch(() => {});
  });
  await page.route(/\/api\/monitors\/[^/]+\/series\?/, async (route) => {
    const url = new URL(route.request().url());
    const id = decodeURIComponent(url.pathname.split("/")[3]);
    const call = {
      id,
      from: Number(url.searchParams.get("from")),
      to: Number(url.searchParams.get("to")),
      resolution: url.searchParams.get("resolution") ?? "",
    };
    calls.push(call);
    const body = id === "far-watch"
      ? {
        monitor: id,
        resolution: call.resolution,
        from: call.from,
        to: call.to,
        points: [],
        gaps: [],
      }
      : seriesOf(day, id, call.from, call.to, call.resolution as "step");
    await route.fulfill({ json: body });
  });
  await page.route(/\/api\/alerts\?/, async (route) => {
    const url = new URL(route.request().url());
    assert.equal(url.searchParams.get("monitor"), MON);
    await route.fulfill({ json: { alerts: day.alerts, next_cursor: null } });
  });
  return { calls, release, sseRequests: () => sseRequests };
}

async function withMonitorPages(
  fn: (
    o: {
      base: string;
      day: DayFixture;
      newPage: (opts?: Record<string, unknown>) => Promise<Page>;
    },
  ) => Promise<void>,
) {
  const day = dayFixture(MON, Date.now());
  await withApiKit(async ({ app }) => {
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      app.fetch,
    );
    const base = `http://127.0.0.1:${server.addr.port}`;
    const browser = await launchBrowser();
    const errors: string[] = [];
    try {
      const newPage = async (opts: Record<string, unknown> = {}) => {
        const ctx = await browser.newContext({
          baseURL: base,
          viewport: { width: 1280, height: 900 },
          ...opts,
        });
        const p = await ctx.newPage();
        p.on("pageerror", (e) => errors.push(e.message));
        return p;
      };
      await fn({ base, day, newPage });
      assert.deepEqual(errors, [], "page errors");
    } finally {
      await browser.close();
      await server.shutdown();
    }
  }, { monitorPages: fixturePages(statuses(day.points.at(-1)!)) });
}

const chart = "[data-testid=smoke-chart]";

/** Waits until the chart has drawn a view of `resolution` with at least `min` points. */
async function waitDrawn(page: Page, resolution: string, min = 1) {
  await page.waitForFunction(
    ([sel, res, n]) => {
      const el = document.querySelector(sel!) as HTMLElement | null;
      return el?.dataset.resolution === res &&
        Number(el.dataset.points) >= Number(n) &&
        !document.querySelector("[data-testid=range-note]")?.textContent
          ?.includes("loading");
    },
    [chart, resolution, String(min)],
    { timeout: 10_000 },
  );
}

Deno.test({
  name:
    "monitor page: smoke chart of a day drawn with its gap and outage, alert timeline, ranges, drag zoom, live point, full test",
  ignore: noBrowser,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withMonitorPages(async ({ day, newPage }) => {
      const page = await newPage();
      const api = await mockApi(page, day);
      await page.goto(`/monitors/${MON}`);
      await waitDrawn(page, "step", 1400);
      // The first view: a day at step resolution, ending now.
      const first = api.calls[0];
      assert.equal(first.resolution, "step");
      assert.ok(Math.abs(first.to - first.from - 86_400_000) < 1000);
      assert.ok(Math.abs(first.to - Date.now()) < 60_000);

      // Drawn: 18 series (x, 9 deciles, 7 loss classes, lost marks), the gap
      // a row of nulls at its start, the outage 10 marks without medians.
      const drawn = await page.$eval(chart, (el) => {
        // deno-lint-ignore no-explicit-any
        const u = (el as any).uplot;
        const gapRows = (el as HTMLElement).dataset.gapRows!.split(",").map(
          Number,
        );
        return {
          series: u.series.length,
          columns: u.data.length,
          length: u.data[0].length,
          gapRows,
          gapX: gapRows.map((i: number) => u.data[0][i]),
          gapValues: gapRows.flatMap((i: number) =>
            u.data.slice(1).map((c: (number | null)[]) => c[i])
          ),
          lost: u.data[17].filter((v: number | null) => v === 1).length,
          greenPoints: u.data[10].filter((v: number | null) =>
            v !== null
          ).length,
          redPoints: u.data[16].filter((v: number | null) => v !== null).length,
          bands: u.bands.length,
          canvas: !!el.querySelector("canvas"),
        };
      });
      assert.equal(drawn.series, 18);
      assert.equal(drawn.columns, 18);
      assert.ok(
        drawn.length >= 1400 && drawn.length <= 1411,
        `${drawn.length} rows`,
      );
      assert.deepEqual(drawn.gapRows.length, 1);
      assert.equal(drawn.gapX[0], day.gap.from / 1000);
      assert.ok(
        drawn.gapValues.every((v: unknown) => v === null),
        "gap is null, not 0",
      );
      assert.equal(drawn.lost, 10);
      assert.ok(drawn.greenPoints > 1300);
      assert.equal(drawn.bands, 4);
      assert.ok(drawn.canvas);

      // The alert timeline: the firing and the resolved, and one bar.
      const events = page.locator("[data-testid=alert-event]");
      await page.waitForSelector("[data-testid=alert-event]");
      assert.equal(await events.count(), 2);
      assert.match(
        (await page.textContent(
          "[data-testid=alert-event][data-state=firing]",
        ))!,
        /down.*firing.*100\.00 %.*99\.00 %/s,
      );
      assert.match(
        (await page.textContent("[data-testid=alert-event][data-state=ok]"))!,
        /resolved/,
      );
      assert.equal(
        await page.locator("svg[data-testid=alert-bars] rect.bar.resolved")
          .count(),
        1,
      );
      await page.screenshot({ path: "/tmp/smoke_chart.png", fullPage: true });
      await page.screenshot({
        path: artifactPath("monitor-smoke-chart.png"),
        fullPage: true,
      });
      // Print: light colours, no buttons; the chart is drawn again for paper.
      await page.emulateMedia({ media: "print" });
      await page.waitForTimeout(300);
      assert.ok(await page.isHidden("[data-testid=start-full]"));
      await page.screenshot({
        path: "/tmp/smoke_chart_print.png",
        fullPage: true,
      });
      await page.emulateMedia({ media: "screen" });
      await waitDrawn(page, "step", 1400);

      // The theme toggle draws the chart again in the new colours, same data.
      await page.click("[data-testid=theme-toggle]");
      await page.waitForFunction(() =>
        document.documentElement.dataset.theme === "dark"
      );
      assert.equal(
        await page.$eval(chart, (el) => el.querySelectorAll("canvas").length),
        1,
        "one chart, not two",
      );
      await waitDrawn(page, "step", 1400);
      await page.click("[data-testid=theme-toggle]");

      // Range buttons refetch with the range's span and resolution.
      const expect = async (
        range: string,
        span: number,
        resolution: string,
      ) => {
        const n = api.calls.length;
        await page.click(`button[data-range="${range}"]`);
        await page.waitForFunction((k) => true && k >= 0, n);
        await waitDrawn(page, resolution, 0);
        const c = api.calls.at(-1)!;
        assert.ok(api.calls.length > n, `${range}: refetched`);
        assert.equal(c.resolution, resolution, range);
        assert.ok(
          Math.abs(c.to - c.from - span) < 1000,
          `${range}: span ${c.to - c.from}`,
        );
        assert.equal(
          await page.getAttribute(
            `button[data-range="${range}"]`,
            "aria-pressed",
          ),
          "true",
        );
      };
      await expect("1w", 7 * 86_400_000, "hour");
      await expect("1m", 30 * 86_400_000, "hour");
      await expect("1y", 365 * 86_400_000, "day");
      await expect("3h", 3 * 3600_000, "step");
      await expect("1d", 86_400_000, "step");

      // Drag to zoom: a refetch of the selected span at step resolution, not live.
      const over = (await page.locator(`${chart} .u-over`).boundingBox())!;
      const before = api.calls.length;
      const y = over.y + over.height / 2;
      await page.mouse.move(over.x + over.width * 0.70, y);
      await page.mouse.down();
      await page.mouse.move(over.x + over.width * 0.78, y, { steps: 5 });
      await page.mouse.up();
      await page.waitForFunction((n) => n > 0, before);
      await page.waitForSelector("[data-testid=zoom-reset]:not([hidden])");
      await waitDrawn(page, "step", 10);
      const z = api.calls.at(-1)!;
      assert.ok(api.calls.length > before, "zoom refetched");
      assert.equal(z.resolution, "step");
      const zspan = z.to - z.from;
      assert.ok(
        zspan > 0.06 * 86_400_000 && zspan < 0.1 * 86_400_000,
        `zoom span ${zspan}`,
      );
      assert.ok(z.to < Date.now() - 3 * 3600_000, "zoomed into the past");
      assert.match(
        (await page.textContent("[data-testid=range-note]"))!,
        /drag to zoom/,
      );
      await page.screenshot({ path: "/tmp/smoke_chart_zoom.png" });
      await page.click("[data-testid=zoom-reset]");
      await waitDrawn(page, "step", 1400);
      const reset = api.calls.at(-1)!;
      assert.ok(
        Math.abs(reset.to - reset.from - 86_400_000) < 1000,
        "reset: the day again",
      );
      assert.ok(await page.isHidden("[data-testid=zoom-reset]"));

      // A live point of this monitor (and one of another) over SSE: appended at
      // the right edge, the figures follow; an alert event joins the list.
      const pointsBefore = Number(
        await page.getAttribute(chart, "data-points"),
      );
      const t = Math.floor(Date.now() / STEP_MS) * STEP_MS;
      const live = point(t, 15, 33.3);
      const other = point(t, 0, 1);
      const sse = [
        "retry: 600000",
        "",
        "id: 7",
        "event: point",
        `data: ${
          JSON.stringify({ monitor: "other", resolution: "step", point: other })
        }`,
        "",
        "id: 8",
        "event: point",
        `data: ${
          JSON.stringify({ monitor: MON, resolution: "step", point: live })
        }`,
        "",
        "id: 9",
        "event: alert",
        `data: ${
          JSON.stringify({
            ...day.alerts[1],
            id: "a3",
            alert: "loss",
            threshold: 5,
            value: 15,
            at: new Date(t).toISOString(),
          })
        }`,
        "",
        "",
      ].join("\n");
      assert.equal(api.sseRequests(), 1, "one SSE connection");
      api.release(sse);
      await page.waitForFunction(
        ([sel, n]) =>
          Number(document.querySelector(sel!)?.getAttribute("data-points")) ===
            Number(n) + 1,
        [chart, String(pointsBefore)],
        { timeout: 10_000 },
      );
      const last = await page.$eval(chart, (el) => {
        // deno-lint-ignore no-explicit-any
        const u = (el as any).uplot;
        const i = u.data[0].length - 1;
        return { x: u.data[0][i], purple: u.data[13][i], green: u.data[10][i] };
      });
      assert.equal(last.x, t / 1000);
      assert.equal(last.purple, 33.3, "15 % loss: the ≤15 % class");
      assert.equal(
        await page.textContent("[data-testid=figures] [data-col=loss]"),
        "15.00 %",
      );
      assert.equal(
        await page.textContent("[data-testid=figures] [data-col=median]"),
        "33.3 ms",
      );
      await page.waitForSelector(
        '[data-testid=alert-event][data-alert="loss"][data-state=firing]',
      );
      assert.equal(
        await page.textContent("[data-testid=monitor-state]"),
        "alerting",
      );

      // A full test to the same server: POST /api/tests (the real one), then its page.
      const [req] = await Promise.all([
        page.waitForRequest((r) =>
          r.url().endsWith("/api/tests") && r.method() === "POST"
        ),
        page.click("[data-testid=start-full]"),
      ]);
      assert.deepEqual(JSON.parse(req.postData()!), {
        targets: ["localhost-v4"],
        duration_s: 30,
      });
      await page.waitForURL(/\/tests\/[\w-]+$/, { timeout: 10_000 });
      await page.waitForSelector("[data-testid=status]");
    }),
});

Deno.test({
  name:
    "monitors list: grouped, states, sparklines of 3 hours with the gap; phone and dark variants",
  ignore: noBrowser,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withMonitorPages(async ({ day, newPage }) => {
      for (
        const [variant, opts] of [
          ["", {}],
          ["_dark", { colorScheme: "dark" }],
          ["_phone", { viewport: { width: 390, height: 844 }, isMobile: true }],
        ] as const
      ) {
        const page = await newPage(opts);
        const api = await mockApi(page, day);
        await page.goto("/monitors");
        await page.waitForFunction(() =>
          Number(
            document.querySelector(
              '[data-monitor="gw-watch"] [data-testid=monitor-spark]',
            )
              ?.getAttribute("data-points"),
          ) > 100
        );
        const ids = api.calls.map((c) => c.id).sort();
        assert.deepEqual(ids, ["far-watch", "gw-watch", "v6-watch"]);
        for (const c of api.calls) {
          assert.equal(c.resolution, "step");
          assert.ok(Math.abs(c.to - c.from - 3 * 3600_000) < 1000);
        }
        assert.deepEqual(
          await page.$$eval("[data-group] h2", (hs) =>
            hs.map((h) => h.textContent)),
          ["Local", "Remote"],
        );
        assert.equal(
          await page.textContent(
            '[data-monitor="v6-watch"] [data-testid=monitor-state]',
          ),
          "alerting",
        );
        assert.equal(
          await page.textContent(
            '[data-monitor="far-watch"] [data-testid=monitor-state]',
          ),
          "no data",
        );
        await page.screenshot({
          path: `/tmp/monitors_list${variant}.png`,
          fullPage: true,
        });
        await page.screenshot({
          path: artifactPath(`monitors-list${variant}.png`),
          fullPage: true,
        });
        if (variant) {
          // The same variant of the smoke chart page.
          await page.goto(`/monitors/${MON}`);
          await waitDrawn(page, "step", 1400);
          await page.waitForSelector("[data-testid=alert-event]");
          await page.screenshot({
            path: `/tmp/smoke_chart${variant}.png`,
            fullPage: true,
          });
          if (variant === "_dark") {
            assert.equal(
              await page.evaluate(() =>
                document.documentElement.dataset.theme
              ),
              "dark",
            );
          }
        }
        await page.context().close();
      }
    }),
});
