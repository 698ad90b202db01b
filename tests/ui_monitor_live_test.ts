// Browser, end to end against the real service process: a config monitor on
// 127.0.0.1 (1 s steps of 5 probes) with a rule that fires on loopback (median
// RTT above 1 ns) notifying a webhook receiver on 127.0.0.1. /monitors lists
// it alerting; /monitors/<id> draws the stored points (3 hours range), appends
// a new step arriving over SSE, and shows the firing alert; the receiver got
// exactly one firing webhook with the rule's fields. Loopback only; bounded.
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { noBrowser, withBrowser } from "../testing/browser_kit.ts";
import { sleep } from "../testing/server_process.ts";

const MON = "live-watch";
const CHART = "[data-testid=smoke-chart]";

interface Hook {
  path: string;
  body: Record<string, unknown>;
}

/** A webhook receiver on 127.0.0.1: records every POST, answers 204. */
function startReceiver() {
  const got: Hook[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (req) => {
      got.push({ path: new URL(req.url).pathname, body: await req.json() });
      return new Response(null, { status: 204 });
    },
  );
  return { got, port: server.addr.port, close: () => server.shutdown() };
}

const config = (hookPort: number) =>
  `servers:
  - { id: lo4, name: Loopback 4, host: 127.0.0.1, group: Local }
notify:
  - { id: hook, type: webhook, url: "http://127.0.0.1:${hookPort}/hook" }
monitors:
  - id: ${MON}
    server: lo4
    step_s: 1
    probes: 5
    timeout_ms: 300
    alerts:
      - { name: slow, median_rtt_ms_above: 0.000001, for_steps: 1, notify: [hook] }
`;

async function until(what: string, ok: () => boolean, ms: number) {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

const chartPoints = async (page: Page) =>
  Number(await page.getAttribute(CHART, "data-points"));

Deno.test({
  name:
    "monitor end to end: real service probes loopback, alert fires, webhook once, list alerting, smoke chart stored and live",
  ignore: noBrowser,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const t0 = Date.now();
    const receiver = startReceiver();
    try {
      await withBrowser("monitor-live", async ({ page, server }) => {
        // The rule fires at the first stored step; the webhook follows.
        await until("the webhook", () => receiver.got.length > 0, 8000);

        // The list: the monitor, alerting.
        await page.goto("/monitors");
        const state = `[data-monitor="${MON}"] [data-testid=monitor-state]`;
        await page.waitForSelector(state, { timeout: 5000 });
        assert.equal((await page.textContent(state))!.trim(), "alerting");

        // The smoke chart of the last 3 hours: the stored points.
        const stored = await (await fetch(
          `${server.base}/api/monitors/${MON}/series?from=${
            Date.now() - 3 * 3600_000
          }&to=${Date.now()}&resolution=step`,
        )).json();
        assert.ok(stored.points.length >= 1, "points stored");
        const requests: string[] = [];
        page.on("request", (r) => requests.push(new URL(r.url()).pathname));
        await page.goto(`/monitors/${MON}`);
        await page.click('button[data-range="3h"]');
        await page.waitForFunction(
          ([sel, n]) => {
            const el = document.querySelector(sel!) as HTMLElement | null;
            return el?.dataset.resolution === "step" &&
              Number(el.dataset.to) - Number(el.dataset.from) >=
                3 * 3600_000 - 1000 &&
              Number(el.dataset.points) >= Number(n) &&
              !!el.querySelector("canvas");
          },
          [CHART, String(stored.points.length)],
          { timeout: 5000 },
        );
        const drawn = await page.$eval(CHART, (el) => {
          // deno-lint-ignore no-explicit-any
          const u = (el as any).uplot;
          return { xs: u.data[0] as number[], median: u.data[10] as number[] };
        });
        const xs = new Set(drawn.xs);
        for (const p of stored.points as { t: number }[]) {
          assert.ok(xs.has(p.t / 1000), `stored point ${p.t} drawn`);
        }
        assert.ok(
          drawn.median.some((v) => v !== null && v > 0),
          "green medians (no loss on loopback)",
        );

        // Live: the next step arrives over SSE and is appended at the right edge.
        const before = await chartPoints(page);
        const seriesBefore = requests.filter((p) => p.endsWith("/series"))
          .length;
        const lastX = drawn.xs.at(-1)!;
        await page.waitForFunction(
          ([sel, n]) =>
            Number(document.querySelector(sel!)?.getAttribute("data-points")) >
              Number(n),
          [CHART, String(before)],
          { timeout: 5000 },
        );
        const appended = await page.$eval(CHART, (el) => {
          // deno-lint-ignore no-explicit-any
          const u = (el as any).uplot;
          return u.data[0].at(-1) as number;
        });
        assert.ok(appended > lastX, "appended after the last stored point");
        assert.ok(
          requests.includes("/api/monitors/events"),
          "the page reads the SSE stream",
        );
        assert.equal(
          requests.filter((p) => p.endsWith("/series")).length,
          seriesBefore,
          "appended from SSE, not refetched",
        );
        const latest = await (await fetch(
          `${server.base}/api/monitors/${MON}/series?from=${
            appended * 1000
          }&to=${appended * 1000 + 1}&resolution=step`,
        )).json();
        assert.equal(latest.points.length, 1, "the live point is stored");

        // The alert timeline: the rule firing.
        const firing =
          `[data-testid=alert-event][data-alert="slow"][data-state=firing]`;
        await page.waitForSelector(firing, { timeout: 5000 });
        assert.match((await page.textContent(firing))!, /slow.*firing/s);
        assert.equal(
          await page.textContent("[data-testid=monitor-state]"),
          "alerting",
        );

        // The webhook: exactly one, the firing, with the rule's fields (the
        // rule never resolves on loopback, so no second one is due).
        await sleep(1500);
        assert.equal(receiver.got.length, 1, JSON.stringify(receiver.got));
        const { path, body } = receiver.got[0];
        assert.equal(path, "/hook");
        assert.equal(body.monitor, MON);
        assert.equal(body.server, "lo4");
        assert.equal(body.address, "127.0.0.1");
        assert.equal(body.alert, "slow");
        assert.equal(body.state, "firing");
        assert.equal(body.threshold, 0.000001);
        assert.ok(typeof body.value === "number" && body.value > 0);
        const since = Date.parse(body.since as string);
        assert.ok(since >= t0 - 2000 && since <= Date.now(), `${body.since}`);
        assert.equal(body.url, `/monitors/${MON}`);
        assert.match(
          body.text as string,
          /^\[FIRING\] live-watch\/slow: median RTT [\d.]+ ms > 0 ms on Loopback 4 \(127\.0\.0\.1\)/,
        );
      }, { config: config(receiver.port) });
    } finally {
      await receiver.close();
    }
    assert.ok(Date.now() - t0 < 30_000, `took ${Date.now() - t0} ms`);
  },
});
