// Browser: dark mode (system default, toggle, remembered), 375 px without
// horizontal scrolling and charts that follow their container, and the print
// report as a PDF.
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import {
  finishedTest,
  noBrowser,
  waitForPoints,
  withBrowser,
} from "../testing/browser_kit.ts";

const theme = (page: Page) =>
  page.evaluate(() => document.documentElement.dataset.theme);
const background = (page: Page) =>
  page.evaluate(() => getComputedStyle(document.body).backgroundColor);
const noHorizontalScroll = async (page: Page) => {
  const [scroll, client] = await page.evaluate(() => [
    document.documentElement.scrollWidth,
    document.documentElement.clientWidth,
  ]);
  assert.ok(scroll <= client, `page is ${scroll}px wide in ${client}px`);
};

Deno.test({
  name: "dark mode follows the system, toggles, is remembered; charts follow",
  ignore: noBrowser,
  fn: () =>
    withBrowser("dark-mode", async ({ page, server, context }) => {
      const id = await finishedTest(server.base, {
        targets: ["localhost-v4"],
        interval_ms: 20,
        count: 30,
      });
      await page.goto(`/tests/${id}`);
      assert.equal(await theme(page), "light");
      const light = await background(page);
      await waitForPoints(page, "localhost-v4", 30);
      const canvas = () =>
        page.evaluate(() =>
          document.querySelector("[data-testid=chart] canvas") !== null
        );
      assert.ok(await canvas());
      await page.click("[data-testid=theme-toggle]");
      assert.equal(await theme(page), "dark");
      assert.notEqual(await background(page), light);
      assert.equal(
        await page.getAttribute("[data-testid=theme-toggle]", "aria-label"),
        "Switch to light theme",
      );
      // The chart is redrawn in the new theme with all its points.
      await waitForPoints(page, "localhost-v4", 30);
      assert.ok(await canvas());
      await page.reload();
      assert.equal(await theme(page), "dark", "remembered");
      await waitForPoints(page, "localhost-v4", 30);

      // A system in dark mode gets dark by default.
      const dark = await context.browser()!.newContext({ colorScheme: "dark" });
      try {
        const p = await dark.newPage();
        await p.goto(`${server.base}/tests`);
        assert.equal(await theme(p), "dark");
      } finally {
        await dark.close();
      }
    }),
});

Deno.test({
  name: "375 px wide: no horizontal scrolling; charts resize with the page",
  ignore: noBrowser,
  fn: () =>
    withBrowser("mobile-375", async ({ page, server }) => {
      const id = await finishedTest(server.base, {
        targets: ["localhost-v4", "localhost-v6"],
        interval_ms: 20,
        count: 30,
      });
      await page.goto("/");
      await noHorizontalScroll(page);
      await page.goto("/tests");
      await noHorizontalScroll(page);
      await page.goto(`/tests/${id}`);
      await waitForPoints(page, "localhost-v6", 30);
      await noHorizontalScroll(page);
      const chartWidth = () =>
        page.evaluate(() =>
          document.querySelector<HTMLCanvasElement>(
            "[data-testid=chart] canvas",
          )!.getBoundingClientRect().width
        );
      assert.ok(await chartWidth() <= 375);
      await page.setViewportSize({ width: 1100, height: 800 });
      await page.waitForFunction(() =>
        document.querySelector("[data-testid=chart] canvas")!
          .getBoundingClientRect().width > 400
      );
      await page.setViewportSize({ width: 375, height: 812 });
      await page.waitForFunction(() =>
        document.querySelector("[data-testid=chart] canvas")!
          .getBoundingClientRect().width <= 375
      );
      await noHorizontalScroll(page);
    }, { viewport: { width: 375, height: 812 } }),
});

Deno.test({
  name: "print: /tests/{id} becomes a clean PDF report with charts and table",
  ignore: noBrowser,
  fn: () =>
    withBrowser("print-report", async ({ page, server, artifact }) => {
      const id = await finishedTest(server.base, {
        targets: ["localhost-v4", "localhost-v6"],
        interval_ms: 20,
        count: 40,
      });
      await page.goto(`/tests/${id}`);
      // Dark on screen; the report is light all the same.
      await page.click("[data-testid=theme-toggle]");
      await waitForPoints(page, "localhost-v4", 40);
      await waitForPoints(page, "localhost-v6", 40);
      await page.emulateMedia({ media: "print" });
      assert.equal(await background(page), "rgb(255, 255, 255)");
      assert.ok(!(await page.isVisible(".topbar")), "no navigation in print");
      assert.ok(!(await page.isVisible("[data-testid=export-csv]")));
      assert.ok(await page.isVisible("table[data-testid=summary]"));
      assert.ok(await page.isVisible("[data-testid=chart] canvas"));
      assert.ok(await page.isVisible(".print-only"));
      const pdf = await page.pdf({
        path: artifact("report.pdf"),
        format: "A4",
        printBackground: true,
        margin: { top: "12mm", bottom: "12mm", left: "12mm", right: "12mm" },
      });
      assert.equal(new TextDecoder().decode(pdf.subarray(0, 5)), "%PDF-");
      // Charts are images in the PDF: a page of text alone is far smaller.
      assert.ok(pdf.length > 30_000, `PDF only ${pdf.length} bytes`);
      // A browser lays the report out at the paper's width (A4 less 12 mm
      // margins: 186 mm, about 703 px): every column of the table must fit.
      await page.setViewportSize({ width: 703, height: 1000 });
      const fit = await page.$eval("table[data-testid=summary]", (t) => ({
        table: t.scrollWidth,
        room: t.parentElement!.clientWidth,
      }));
      assert.ok(fit.table <= fit.room, `table ${fit.table} px in ${fit.room}`);
    }),
});
