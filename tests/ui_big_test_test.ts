// Browser: a stored day-long test (86,400 probes at 1 s) opens from its
// downsampled series: the lost probe in the middle and the spike show in the
// overview; zooming by URL and by dragging across the chart fetches the
// detail down to single probes, puts the range in the URL, and reopening that
// URL shows the same range; Reset returns to the overview.
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { noBrowser, withBrowser } from "../testing/browser_kit.ts";
import {
  type BigTest,
  bigTestPlan,
  seedBigTests,
} from "../testing/stored_big_test.ts";

// Yesterday's day (the server prunes tests older than its retention).
const T = Math.floor(Date.now() / 1000) * 1000 - 2 * 86_400_000;
const DAY = { id: "day", probes: 86_400, t0: T };
const CHART = "[data-testid=chart][data-target=localhost-v4]";

/** The RTT chart's data-* facts once it shows a range (from/to set). */
async function facts(page: Page) {
  await page.waitForFunction(
    (sel) => document.querySelector(sel)?.getAttribute("data-from"),
    CHART,
  );
  const get = async (k: string) => await page.getAttribute(CHART, `data-${k}`);
  return {
    from: Number(await get("from")),
    to: Number(await get("to")),
    points: Number(await get("points")),
    lost: Number(await get("lost")),
    marks: Number(await get("marks")),
    max: Number(await get("max")),
    raw: (await get("raw")) === "true",
  };
}

/** Waits until the chart shows a range starting at `from`. */
const waitFrom = (page: Page, from: number) =>
  page.waitForFunction(
    ([sel, f]) => document.querySelector(sel)?.getAttribute("data-from") === f,
    [CHART, String(from)] as const,
  );

Deno.test({
  name:
    "big test: the overview keeps the lost probe and spike; zoom by URL and drag, shareable, reset",
  ignore: noBrowser,
  async fn() {
    const plan: BigTest = bigTestPlan(DAY);
    await withBrowser("big-test-zoom", async ({ page }) => {
      await page.goto("/tests/day");
      const all = await facts(page);
      assert.equal(all.from, plan.at(0));
      assert.equal(all.to, plan.at(DAY.probes - 1));
      assert.equal(all.raw, false);
      // Sized to the chart: about one point per pixel, far fewer than probes.
      const width = await page.$eval(CHART, (el) => el.clientWidth);
      assert.ok(
        all.points <= width + 1 && all.points > width / 2,
        `${all.points} points for ${width} px`,
      );
      assert.equal(all.lost, 1, "the lost probe is in the overview");
      assert.equal(all.marks, 1, "and drawn as a mark");
      assert.equal(all.max, 250, "the spike survives as a bucket max");
      assert.equal(
        await page.getAttribute("[data-testid=zoom-reset]", "disabled"),
        "",
      );
      // The summary table is the stored summary.
      assert.equal(
        (await page.textContent(
          'table[data-testid=summary] tr[data-target="localhost-v4"] [data-col=sent]',
        ))!.trim(),
        "86400",
      );

      // Zoom by URL: a minute around the lost probe is single probes.
      const mid = plan.lost[0];
      const from = plan.at(mid - 30), to = plan.at(mid + 30);
      await page.goto(`/tests/day?from=${from}&to=${to}`);
      const zoom = await facts(page);
      assert.deepEqual([zoom.from, zoom.to], [from, to]);
      assert.equal(zoom.raw, true);
      assert.equal(zoom.points, 61);
      assert.equal(zoom.lost, 1, "the lost probe is still there, zoomed");
      assert.equal(
        await page.getAttribute("[data-testid=zoom-bar]", "data-zoomed"),
        "true",
      );

      // Reset: the overview again, the range gone from the URL.
      await page.click("[data-testid=zoom-reset]");
      await waitFrom(page, all.from);
      assert.equal(new URL(page.url()).search, "");
      assert.equal((await facts(page)).lost, 1);

      // Drag across the middle tenth of the chart: the detail of that range.
      const box = (await page.locator(`${CHART} .u-over`).boundingBox())!;
      const y = box.y + box.height / 2;
      await page.mouse.move(box.x + box.width * 0.45, y);
      await page.mouse.down();
      await page.mouse.move(box.x + box.width * 0.5, y, { steps: 5 });
      await page.mouse.move(box.x + box.width * 0.55, y, { steps: 5 });
      await page.mouse.up();
      await page.waitForFunction(() =>
        new URL(location.href).searchParams.has("from")
      );
      const url = new URL(page.url());
      const dragged = {
        from: Number(url.searchParams.get("from")),
        to: Number(url.searchParams.get("to")),
      };
      await waitFrom(page, dragged.from);
      const d = await facts(page);
      assert.equal(d.to, dragged.to);
      const span = (dragged.to - dragged.from) / (all.to - all.from);
      assert.ok(span > 0.08 && span < 0.12, `dragged a tenth: ${span}`);
      assert.ok(dragged.from < plan.at(mid) && plan.at(mid) < dragged.to);
      assert.equal(d.lost, 1, "the lost probe is visible after the drag");
      assert.equal(d.marks, 1);

      // The zoomed URL reopens the same range.
      await page.goto("about:blank");
      await page.goto(url.pathname + url.search);
      const again = await facts(page);
      assert.deepEqual([again.from, again.to, again.points, again.lost], [
        d.from,
        d.to,
        d.points,
        d.lost,
      ]);
    }, { seed: (kv) => seedBigTests(kv, [DAY]).then(() => {}) });
  },
});

Deno.test({
  name:
    "compare: pick two tests in the history, see both distributions, loss and tables; the URL reopens it",
  ignore: noBrowser,
  async fn() {
    const a = { id: "mon", probes: 3600, t0: T, lost: [100, 1800] };
    const b = { id: "tue", probes: 7200, t0: T + 86_400_000, spikeMs: 40 };
    await withBrowser("big-test-compare", async ({ page }) => {
      await page.goto("/tests");
      await page.check('input[data-testid=compare-pick][value="mon"]');
      await page.check('input[data-testid=compare-pick][value="tue"]');
      await page.click("[data-testid=compare]");
      await page.waitForURL("**/compare?tests=*");
      const url = new URL(page.url());
      // One shareable list, newest first as the history lists them.
      assert.equal(url.searchParams.get("tests"), "tue,mon");
      const check = async () => {
        for (const chart of ["compare-cdf", "compare-loss"]) {
          await page.waitForFunction(
            (sel) =>
              document.querySelector(sel)?.getAttribute("data-series") === "2",
            `[data-testid=${chart}]`,
          );
        }
        const sent = async (id: string) =>
          (await page.textContent(
            `[data-testid=compare-test][data-test-id=${id}] td[data-col=sent]`,
          ))!.trim();
        assert.equal(await sent("mon"), "3600");
        assert.equal(await sent("tue"), "7200");
        assert.equal(
          await page.locator(
            "[data-testid=compare-test] table[data-testid=summary]",
          ).count(),
          2,
        );
      };
      await check();
      await page.goto("about:blank");
      await page.goto(url.pathname + url.search);
      await check();
    }, { seed: (kv) => seedBigTests(kv, [a, b]).then(() => {}) });
  },
});
