// /device: its own bundle within the pages' 40 KB budget (not the
// dashboard's), the form server-rendered, and for a role below
// device_test.role a disabled Start that says why.
import assert from "node:assert/strict";
import { withApiKit } from "../testing/api_testkit.ts";
import { authConfigYaml, bearer } from "../testing/auth_testkit.ts";
import { JS_BUDGET_GZ, pageScripts } from "../testing/page_scripts.ts";

Deno.test("/device loads its own bundle, at most 40 KB of JavaScript gzip-compressed, with the form rendered", async () => {
  await withApiKit(async ({ app }) => {
    const html = await (await app.request("/device")).text();
    assert.match(html, /data-testid="device-form"/);
    assert.match(html, /<option[^>]*value="voip"/);
    const { scripts, gzipBytes: total } = await pageScripts(app, html);
    assert.ok(scripts.some((s) => /\/device-[0-9a-f]+\.js$/.test(s)));
    assert.ok(!scripts.some((s) => /\/boot-/.test(s)), "not the dashboard's");
    console.log(
      `device page JavaScript: ${
        (total / 1024).toFixed(1)
      } KB gzip in ${scripts.length} files (budget 40 KB)`,
    );
    assert.ok(total <= JS_BUDGET_GZ, `${total} B gzip > ${JS_BUDGET_GZ} B`);
  }, { device: true });
});

Deno.test("/device for a viewer (device_test.role operator): Start disabled, and why", async () => {
  await withApiKit(async ({ app }) => {
    const html = await (await app.request("/device", {
      headers: { ...bearer("viewer"), accept: "text/html" },
    })).text();
    assert.match(html, /data-testid="device-start" disabled/);
    assert.match(html, /Your role may not run device tests here/);
    const op = await (await app.request("/device", {
      headers: { ...bearer("operator"), accept: "text/html" },
    })).text();
    assert.doesNotMatch(op, /data-testid="device-start" disabled/);
  }, { device: true, configYaml: await authConfigYaml() });
});
