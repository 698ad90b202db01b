// Browser: the dashboard's mode choice. Ping and Path (hops) both ticked
// start two tests with the same servers and settings (mode "ping", then mode
// "path" with its max hops); the page follows the ping test and links the
// path test. Ping alone sends the request it always did; neither is refused.
import assert from "node:assert/strict";
import type { Request, Route } from "playwright-core";
import {
  noBrowser,
  waitForPoints,
  withBrowser,
} from "../testing/browser_kit.ts";

interface Posted {
  body: Record<string, unknown>;
  id: string;
}

/** Records each POST /api/tests (body and the id the server gave) and passes it on. */
async function recordStarts(route: Route, req: Request, posted: Posted[]) {
  if (req.method() !== "POST") return await route.continue();
  const body = req.postDataJSON() as Record<string, unknown>;
  const res = await route.fetch();
  const json = await res.json();
  posted.push({ body, id: json.id });
  await route.fulfill({ response: res, json });
}

Deno.test({
  name:
    "dashboard: Ping and Path ticked start two tests (mode ping, mode path) and link both",
  ignore: noBrowser,
  fn: () =>
    withBrowser("dashboard-modes", async ({ page }) => {
      const posted: Posted[] = [];
      await page.route("**/api/tests", (route, req) =>
        recordStarts(route, req, posted));
      await page.goto("/");
      assert.ok(
        await page.isChecked('input[name=mode][value="ping"]'),
        "ping by default",
      );
      assert.ok(!(await page.isChecked('input[name=mode][value="path"]')));
      assert.ok(
        !(await page.isVisible("input[name=max_hops]")),
        "max hops only for path",
      );

      await page.check('input[name=server][value="localhost-v4"]');
      await page.fill("input[name=interval_ms]", "20");
      await page.fill("input[name=count]", "3");
      await page.check('input[name=mode][value="path"]');
      assert.equal(await page.inputValue("input[name=max_hops]"), "30");
      await page.fill("input[name=max_hops]", "12");
      await page.click("[data-testid=start]");

      const link = page.locator("[data-testid=also-path] a");
      await link.waitFor({ timeout: 10_000 });
      assert.equal(posted.length, 2, JSON.stringify(posted));
      const [ping, path] = posted;
      const same = {
        targets: ["localhost-v4"],
        interval_ms: 20,
        count: 3,
        size: 56,
      };
      assert.deepEqual(ping.body, { ...same, mode: "ping" });
      assert.deepEqual(path.body, { ...same, mode: "path", max_hops: 12 });
      // The page follows the ping test and links the path test.
      await page.waitForURL(`**/tests/${ping.id}`);
      await waitForPoints(page, "localhost-v4", 3);
      assert.equal(await link.getAttribute("href"), `/tests/${path.id}`);
      await link.click();
      await page.waitForURL(`**/tests/${path.id}`);
      assert.match(
        (await page.textContent("#live-title"))!,
        new RegExp(path.id),
      );
      // A real path test ran: loopback is one hop, the destination.
      await page.waitForSelector(
        '[data-testid=destination]:has-text("destination reached at hop 1")',
        { timeout: 10_000 },
      );
      assert.equal(
        await page.locator("[data-testid=hops] tbody tr").count(),
        1,
      );
      assert.match(
        (await page.textContent('[data-testid=hops] tr[data-hop="1"]'))!,
        /127\.0\.0\.1/,
      );

      // Ping alone: one request, without a mode (the default).
      await page.goto("/");
      await page.check('input[name=server][value="localhost-v4"]');
      await page.fill("input[name=count]", "1");
      await page.click("[data-testid=start]");
      await page.waitForURL(/\/tests\/\w+$/);
      assert.equal(posted.length, 3);
      assert.equal(posted[2].body.mode, undefined);
      assert.equal(await page.$("[data-testid=also-path]"), null);

      // Neither: refused on the page, nothing sent.
      await page.goto("/");
      await page.check('input[name=server][value="localhost-v4"]');
      await page.uncheck('input[name=mode][value="ping"]');
      await page.click("[data-testid=start]");
      assert.match(
        (await page.textContent("#err-mode"))!,
        /choose Ping, Path or both/,
      );
      assert.equal(posted.length, 3);
    }),
});
