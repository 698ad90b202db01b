// Browser: the dashboard end to end against a real server probing loopback:
// the API's validation next to its field, Start, live chart and table, Stop.
import assert from "node:assert/strict";
import {
  chartPoints,
  noBrowser,
  summaryCell,
  waitForEnd,
  waitForPoints,
  withBrowser,
} from "../testing/browser_kit.ts";

Deno.test({
  name: "dashboard: inline validation, Start, live chart and table, Stop",
  ignore: noBrowser,
  fn: () =>
    withBrowser("dashboard-live", async ({ page }) => {
      await page.goto("/");
      // The filter box narrows the list; "Select shown" takes what is shown.
      await page.fill("input[name=filter]", "ipv6");
      assert.ok(!(await page.isVisible('input[value="localhost-v4"]')));
      await page.click("text=Select shown");
      await page.fill("input[name=filter]", "");
      assert.ok(await page.isChecked('input[value="localhost-v6"]'));
      assert.ok(!(await page.isChecked('input[value="localhost-v4"]')));
      await page.click("text=Clear");
      assert.ok(!(await page.isChecked('input[value="localhost-v6"]')));
      // Nothing selected: the API's message lands beside the server list.
      await page.fill("input[name=count]", "1000");
      await page.click("[data-testid=start]");
      assert.match(
        (await page.textContent("#err-targets", { timeout: 5000 }))!,
        /at least one server/,
      );
      await page.check('input[name=server][value="localhost-v4"]');
      await page.fill("input[name=interval_ms]", "1");
      await page.click("[data-testid=start]");
      assert.match(
        (await page.textContent("#err-interval_ms", { timeout: 5000 }))!,
        /at least 10 ms/,
      );
      assert.equal(
        await page.getAttribute("input[name=interval_ms]", "aria-invalid"),
        "true",
      );
      assert.equal(await page.$("#err-targets"), null, "old message cleared");

      await page.fill("input[name=interval_ms]", "fast");
      await page.click("[data-testid=start]");
      assert.match(
        (await page.textContent("#err-interval_ms", { timeout: 5000 }))!,
        /number/,
      );
      await page.fill("input[name=interval_ms]", "50");
      const started = performance.now();
      await page.click("[data-testid=start]");
      await waitForPoints(page, "localhost-v4", 1);
      console.log(
        `first live point ${
          Math.round(performance.now() - started)
        } ms after Start`,
      );
      assert.match(page.url(), /\/tests\/[0-9a-z]+$/);
      assert.equal(await page.textContent("[data-testid=status]"), "running");
      // The chart gains points and the table follows.
      await waitForPoints(page, "localhost-v4", 10);
      await page.waitForFunction(() =>
        Number(
          document.querySelector(
            'tr[data-target="localhost-v4"] [data-col=sent]',
          )?.textContent,
        ) > 0
      );
      const sent1 = Number(await summaryCell(page, "localhost-v4", "sent"));
      await waitForPoints(page, "localhost-v4", sent1 + 10);
      await page.waitForFunction(
        (n) =>
          Number(
            document.querySelector(
              'tr[data-target="localhost-v4"] [data-col=sent]',
            )?.textContent,
          ) > n,
        sent1,
      );
      assert.equal(await summaryCell(page, "localhost-v4", "loss"), "0 %");
      assert.match(await summaryCell(page, "localhost-v4", "avg"), /ms$/);

      await page.click("[data-testid=stop]");
      assert.equal(await waitForEnd(page), "stopped");
      // Every probe sent is plotted, and the summary agrees.
      await page.waitForTimeout(200);
      const sent = Number(await summaryCell(page, "localhost-v4", "sent"));
      assert.ok(sent < 1000, "stopped early");
      assert.equal(await chartPoints(page, "localhost-v4"), sent);
      assert.ok(await page.isEnabled("[data-testid=start]"));
      assert.ok(await page.isDisabled("[data-testid=stop]"));
    }),
});
