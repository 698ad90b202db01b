// Browser: a finished test found in the history, opened, replayed into its
// chart, exported as CSV; and the same pages without JavaScript.
import assert from "node:assert/strict";
import {
  chartPoints,
  finishedTest,
  noBrowser,
  summaryCell,
  waitForPoints,
  withBrowser,
} from "../testing/browser_kit.ts";

Deno.test({
  name:
    "history: find the test, open it, chart replayed, export CSV; works without JS",
  ignore: noBrowser,
  fn: () =>
    withBrowser(
      "history-export",
      async ({ page, server, browser, artifact }) => {
        const id = await finishedTest(server.base, {
          targets: ["localhost-v4", "localhost-v6"],
          interval_ms: 20,
          count: 25,
        });
        await page.goto("/tests");
        const row = page.locator(`tr[data-test-id="${id}"]`);
        assert.match((await row.textContent())!, /completed/);
        await row.locator(`a[href="/tests/${id}"]`).click();
        await page.waitForURL(`**/tests/${id}`);
        assert.equal(
          await page.textContent("[data-testid=status]"),
          "completed",
        );
        for (const t of ["localhost-v4", "localhost-v6"]) {
          await waitForPoints(page, t, 25);
          assert.equal(await chartPoints(page, t), 25);
          assert.equal(await summaryCell(page, t, "sent"), "25");
          assert.equal(await summaryCell(page, t, "received"), "25");
        }

        const [download] = await Promise.all([
          page.waitForEvent("download"),
          page.click("a[data-testid=export-csv]"),
        ]);
        assert.equal(download.suggestedFilename(), `pla-test-${id}.csv`);
        const csvPath = artifact(`pla-test-${id}.csv`);
        await download.saveAs(csvPath);
        const lines = (await Deno.readTextFile(csvPath)).trim().split("\r\n");
        assert.match(lines[0], /^record,/);
        assert.equal(lines.filter((l) => l.startsWith("probe,")).length, 50);
        assert.equal(lines.filter((l) => l.startsWith("summary,")).length, 2);
        await Deno.remove(csvPath);
        assert.equal(
          await page.getAttribute("a[data-testid=export-json]", "href"),
          `/api/tests/${id}/export?format=json`,
        );

        // Without JavaScript: the servers, the history and the summary are there.
        const noJs = await browser.newContext({
          baseURL: page.url().replace(/\/tests\/.*$/, ""),
          javaScriptEnabled: false,
        });
        try {
          const p = await noJs.newPage();
          await p.goto("/");
          assert.equal(
            await p.locator("input[type=checkbox][name=server]").count(),
            2,
          );
          assert.ok(await p.isVisible('label:has-text("Localhost (IPv6)")'));
          await p.goto("/tests");
          assert.equal(await p.locator(`tr[data-test-id="${id}"]`).count(), 1);
          await p.goto(`/tests/${id}`);
          assert.equal(await summaryCell(p, "localhost-v6", "sent"), "25");
          await p.screenshot({ path: artifact("test-page-no-js.png") });
        } finally {
          await noJs.close();
        }
      },
    ),
});
