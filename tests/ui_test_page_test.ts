// Browser: /tests/{id} of a running test follows it live and stops it; the
// dashboard works from the keyboard alone; every page runs under the strict
// Content-Security-Policy without a violation.
import assert from "node:assert/strict";
import {
  noBrowser,
  summaryCell,
  waitForEnd,
  waitForPoints,
  withBrowser,
} from "../testing/browser_kit.ts";
import { postTest } from "../testing/server_process.ts";

const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; " +
  "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'";

Deno.test({
  name:
    "test page: live view of a running test, Stop; keyboard-only Start; no CSP violation",
  ignore: noBrowser,
  fn: () =>
    withBrowser("test-page-live", async ({ page, server }) => {
      const violations: string[] = [];
      page.on("console", (m) => {
        if (/Content Security Policy/i.test(m.text())) {
          violations.push(m.text());
        }
      });
      // Every page carries the policy the security middleware sets.
      await page.route("**/*", async (route) => {
        if (route.request().resourceType() !== "document") {
          return await route.continue();
        }
        const res = await route.fetch();
        await route.fulfill({
          response: res,
          headers: { ...res.headers(), "content-security-policy": CSP },
        });
      });
      const id = await postTest(server.base, {
        targets: ["localhost-v6"],
        interval_ms: 50,
        count: 2000,
      });
      await page.goto(`/tests/${id}`);
      assert.equal(await page.textContent("[data-testid=status]"), "running");
      await waitForPoints(page, "localhost-v6", 15);
      await page.click("[data-testid=theme-toggle]");
      await page.click("[data-testid=stop]");
      assert.equal(await waitForEnd(page), "stopped");
      assert.equal(await page.$("[data-testid=stop]"), null, "Stop is gone");
      const sent = Number(await summaryCell(page, "localhost-v6", "sent"));
      assert.ok(sent >= 15 && sent < 2000, `sent ${sent}`);
      await page.goto("/tests");
      await page.goto("/");
      // Keyboard only: Space ticks a server, Enter in a field starts.
      await page.focus('input[name=server][value="localhost-v4"]');
      await page.keyboard.press("Space");
      assert.ok(await page.isChecked('input[value="localhost-v4"]'));
      await page.focus("input[name=interval_ms]");
      await page.keyboard.press("Control+A");
      await page.keyboard.type("20");
      await page.keyboard.press("Tab");
      await page.keyboard.type("5");
      assert.equal(await page.inputValue("input[name=count]"), "5");
      await page.keyboard.press("Enter");
      await waitForPoints(page, "localhost-v4", 5);
      assert.deepEqual(violations, []);
    }),
});
