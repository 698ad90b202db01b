// Browser: the path (mtr-like) view of a finished path test replayed from
// storage: a hop table per target, the loss origin, "not forwarding loss",
// the destination and the route changes; in dark mode and at phone width.
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { noBrowser, withBrowser } from "../testing/browser_kit.ts";
import { fmtTime } from "../islands/components/format.ts";
import {
  PATH_REPORTS,
  ROUTE_CHANGE,
  seedPathTest,
} from "../testing/stored_path.ts";

const ID = "pathview1";

const card = (t: string) => `article.path[data-target="${t}"]`;
const cell = async (page: Page, t: string, hop: number, col: string) =>
  (await page.textContent(
    `${card(t)} tr[data-hop="${hop}"] [data-col=${col}]`,
  ))!.trim();

async function assertPathView(page: Page) {
  await page.goto(`/tests/${ID}`);
  // Replayed: the final verdict arrives with the last events.
  await page.waitForSelector(
    `${
      card("path-a")
    } [data-testid=destination]:has-text("destination reached at hop 5")`,
    { timeout: 15_000 },
  );
  assert.equal(await page.textContent("[data-testid=status]"), "completed");
  const a = card("path-a");
  assert.deepEqual(
    await page.$$eval(
      `${a} tbody tr`,
      (rows) => rows.map((r) => r.dataset.hop),
    ),
    ["1", "2", "3", "4", "5"],
  );
  assert.match(
    await cell(page, "path-a", 1, "address"),
    /198\.18\.0\.1\s*gw\.example\.net/,
  );
  // ECMP: the second address of hop 3 listed under the first.
  assert.deepEqual(
    await page.$$eval(
      `${a} tr[data-hop="3"] .ecmp li code`,
      (c) => c.map((e) => e.textContent),
    ),
    ["198.18.2.2"],
  );
  assert.equal(await cell(page, "path-a", 2, "loss"), "30.00 %");
  assert.equal(
    await cell(page, "path-a", 5, "sent"),
    String(PATH_REPORTS * 10),
  );
  assert.equal(await cell(page, "path-a", 5, "best"), "15.0 ms");
  // Loss starts at hop 3: that row and no other is highlighted.
  assert.deepEqual(
    await page.$$eval(
      `${a} tr.loss-origin`,
      (rows) => rows.map((r) => r.dataset.hop),
    ),
    ["3"],
  );
  assert.ok(
    await page.isVisible(`${a} tr[data-hop="3"] [data-testid=origin-badge]`),
  );
  assert.match(
    (await page.textContent(`${a} [data-testid=loss-origin-text]`))!,
    /Loss starts at hop 3\./,
  );
  // Hop 2 loses 30 % but the path after it less: the router, not the path.
  assert.deepEqual(
    await page.$$eval(
      `${a} [data-testid=not-forwarding]`,
      (b) => b.map((e) => e.closest("tr")!.dataset.hop),
    ),
    ["2"],
  );
  assert.match(
    (await page.getAttribute(`${a} [data-testid=not-forwarding]`, "title"))!,
    /rate-limits/,
  );
  assert.match(
    (await page.textContent(`${a} [data-testid=not-forwarding-note]`))!,
    /hop 2/,
  );
  // The route change: time, hop, from → to.
  const change =
    (await page.textContent(`${a} [data-testid=route-changes] li`))!;
  assert.ok(change.includes(fmtTime(ROUTE_CHANGE.timestamp)), change);
  assert.match(
    change,
    new RegExp(
      `hop ${ROUTE_CHANGE.hop}: ${ROUTE_CHANGE.from} → ${ROUTE_CHANGE.to}`,
    ),
  );
  // A sparkline per hop, one point per report.
  assert.equal(await page.locator(`${a} [data-testid=hop-spark]`).count(), 5);
  await page.waitForFunction(
    ([sel, n]) =>
      document.querySelector(sel)?.getAttribute("data-points") === n,
    [`${a} tr[data-hop="4"] [data-testid=hop-spark]`, String(PATH_REPORTS)],
  );

  // The second target: its own table; not reached, no origin, silent hop 3.
  const b = card("path-b");
  assert.equal(await page.locator(`${b} tbody tr`).count(), 3);
  assert.equal(
    (await page.textContent(`${b} [data-testid=destination]`))!.trim(),
    "destination not reached",
  );
  assert.match(await cell(page, "path-b", 3, "address"), /no reply/);
  assert.match(
    (await page.textContent(`${b} [data-testid=loss-origin-text]`))!,
    /No answer after hop 2\./,
  );
  assert.equal(await page.locator(`${b} tr.loss-origin`).count(), 0);
  assert.equal(
    await page.locator(`${b} [data-testid=not-forwarding]`).count(),
    0,
  );
  assert.equal(
    await page.locator(`${b} [data-testid=route-changes]`).count(),
    0,
  );
}

Deno.test({
  name:
    "path view: a finished path test replayed: hops, loss origin, not forwarding loss, route change",
  ignore: noBrowser,
  fn: () =>
    withBrowser(
      "path-view",
      async ({ page, artifact }) => {
        await assertPathView(page);
        await page.screenshot({ path: "/tmp/path_view.png", fullPage: true });
        // Print: light, and every column of each hop table fits A4's width
        // (186 mm inside 12 mm margins, about 703 px).
        await page.click("[data-testid=theme-toggle]");
        await page.emulateMedia({ media: "print" });
        await page.setViewportSize({ width: 703, height: 1000 });
        assert.equal(
          await page.evaluate(() =>
            getComputedStyle(document.body).backgroundColor
          ),
          "rgb(255, 255, 255)",
        );
        assert.ok(await page.isVisible("[data-testid=route-changes]"));
        for (const t of ["path-a", "path-b"]) {
          const fit = await page.$eval(`${card(t)} table.hops`, (el) => ({
            table: el.scrollWidth,
            room: el.parentElement!.clientWidth,
          }));
          assert.ok(
            fit.table <= fit.room,
            `${t}: ${fit.table} px in ${fit.room}`,
          );
        }
        const pdf = await page.pdf({
          path: artifact("path-report.pdf"),
          format: "A4",
        });
        assert.equal(new TextDecoder().decode(pdf.subarray(0, 5)), "%PDF-");
      },
      { seed: (kv) => seedPathTest(kv, ID).then(() => {}) },
    ),
});

Deno.test({
  name:
    "path view: dark mode at phone width scrolls the hop table, not the page",
  ignore: noBrowser,
  fn: () =>
    withBrowser(
      "path-view-phone-dark",
      async ({ page }) => {
        await assertPathView(page);
        const widths = await page.evaluate(() => ({
          page: document.documentElement.scrollWidth,
          view: innerWidth,
          bg: getComputedStyle(document.body).backgroundColor,
        }));
        assert.ok(
          widths.page <= widths.view,
          `page ${widths.page} > ${widths.view}`,
        );
        assert.equal(widths.bg, "rgb(14, 17, 22)", "dark background");
        // The columns left on a phone still hold hop, address and loss.
        assert.ok(
          await page.isVisible(
            `${card("path-a")} tr[data-hop="2"] [data-col=loss]`,
          ),
        );
        assert.ok(
          !(await page.isVisible(
            `${card("path-a")} tr[data-hop="2"] [data-col=stdev]`,
          )),
        );
      },
      {
        seed: (kv) => seedPathTest(kv, ID).then(() => {}),
        viewport: { width: 390, height: 844 },
        colorScheme: "dark",
      },
    ),
});

Deno.test({
  name:
    "path view: a test cut short (no final verdict) marks the loss origin and destination from its hop reports",
  ignore: noBrowser,
  fn: () =>
    withBrowser(
      "path-view-cut-short",
      async ({ page }) => {
        await page.goto("/tests/pathcut1");
        await page.waitForSelector(
          "[data-testid=status]:has-text('interrupted')",
        );
        const a = card("path-a");
        await page.waitForSelector(`${a} tbody tr[data-hop="5"]`);
        assert.equal(
          await cell(page, "path-a", 5, "sent"),
          String(PATH_REPORTS * 10),
        );
        // The first hop whose loss is forwarded; the hop the destination answered at.
        assert.deepEqual(
          await page.$$eval(`${a} tr.loss-origin`, (rows) =>
            rows.map((r) => r.dataset.hop)),
          ["3"],
        );
        assert.equal(
          (await page.textContent(`${a} [data-testid=destination]`))!.trim(),
          "destination reached at hop 5",
        );
        assert.equal(
          await page.locator(`${a} [data-testid=not-forwarding]`).count(),
          1,
        );
        assert.equal(
          await page.locator(`${a} [data-testid=route-changes] li`).count(),
          1,
        );
        assert.equal(
          (await page.textContent(
            `${card("path-b")} [data-testid=destination]`,
          ))!.trim(),
          "destination not reached",
        );
      },
      {
        seed: (kv) =>
          seedPathTest(kv, "pathcut1", true).then(() => {}),
      },
    ),
});
