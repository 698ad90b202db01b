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

/**
 * Records each POST /api/tests and passes it on. A server that does not take
 * `mode` yet (a 422 naming it) gets the same request without the path fields,
 * so the page still has two real tests to show.
 */
async function recordStarts(route: Route, req: Request, posted: Posted[]) {
  if (req.method() !== "POST") return await route.continue();
  const body = req.postDataJSON() as Record<string, unknown>;
  let res = await route.fetch();
  if (res.status() === 422 && /mode|max_hops/.test(await res.text())) {
    const { mode: _m, max_hops: _h, ...rest } = body;
    res = await route.fetch({ postData: JSON.stringify(rest) });
  }
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
