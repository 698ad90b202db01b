// Browser: with sign-in required, a page sends the browser to the sign-in form
// and back; the header names the user and signs out.
import assert from "node:assert/strict";
import {
  noBrowser,
  summaryCell,
  waitForPoints,
  withBrowser,
} from "../testing/browser_kit.ts";

const PASSWORD = "a long enough password";

async function configWithUser(): Promise<string> {
  const { hashPassword, MIN_ITERATIONS } = await import(
    "../server/auth/password.ts"
  );
  const hash = await hashPassword(PASSWORD, MIN_ITERATIONS);
  return `servers:
  - { id: localhost-v4, name: Localhost (IPv4), host: 127.0.0.1 }
auth:
  users:
    - { name: alice, role: admin, password_hash: "${hash}" }
    - { name: victor, role: viewer, password_hash: "${hash}" }
`;
}

Deno.test({
  name:
    "sign-in: pages ask for it, the header names the user, Sign out ends it",
  ignore: noBrowser,
  fn: async () =>
    await withBrowser("sign-in", async ({ page }) => {
      await page.goto("/tests");
      assert.match(page.url(), /\/login\?next=%2Ftests$/);
      await page.fill("input[name=username]", "alice");
      await page.fill("input[name=password]", PASSWORD);
      await page.click("button[type=submit]");
      await page.waitForURL("**/tests");
      assert.match((await page.textContent(".topbar .user"))!, /alice/);

      await page.goto("/");
      await page.check('input[name=server][value="localhost-v4"]');
      await page.fill("input[name=interval_ms]", "20");
      await page.fill("input[name=count]", "10");
      await page.click("[data-testid=start]");
      await waitForPoints(page, "localhost-v4", 10);
      await page.waitForFunction(() =>
        document.querySelector("[data-testid=status]")?.textContent !==
          "running"
      );
      assert.equal(await summaryCell(page, "localhost-v4", "sent"), "10");

      const testUrl = page.url();
      await page.click(".signout button");
      await page.waitForURL("**/login");
      await page.goto("/");
      assert.match(page.url(), /\/login/);

      // A viewer sees everything but cannot start or stop.
      await page.fill("input[name=username]", "victor");
      await page.fill("input[name=password]", PASSWORD);
      await page.click("button[type=submit]");
      await page.waitForURL((u) => u.pathname === "/");
      assert.ok(await page.isDisabled("[data-testid=start]"));
      assert.match((await page.textContent(".setup"))!, /view tests but not/);
      await page.goto(testUrl);
      assert.equal(await summaryCell(page, "localhost-v4", "sent"), "10");
    }, { config: await configWithUser() }),
});
