// Assets: served by the app with the right caching, and the dashboard's
// JavaScript budget (41 KB gzip-compressed, everything it loads: 40 KB until
// a live test's view folded old probes to stay bounded over hours, +0.9 KB).
import assert from "node:assert/strict";
import { withApiKit } from "../testing/api_testkit.ts";
import { JS_BUDGET_GZ, pageScripts } from "../testing/page_scripts.ts";

const DASHBOARD_BUDGET_GZ = 41 * 1024;

Deno.test("the dashboard loads at most 41 KB of JavaScript, gzip-compressed", async () => {
  await withApiKit(async ({ app }) => {
    const html = await (await app.request("/")).text();
    const { scripts, gzipBytes: total } = await pageScripts(app, html);
    assert.ok(scripts.length >= 2, "theme and boot scripts");
    console.log(
      `dashboard JavaScript: ${
        (total / 1024).toFixed(1)
      } KB gzip in ${scripts.length} files (budget 41 KB)`,
    );
    assert.ok(
      total <= DASHBOARD_BUDGET_GZ,
      `${total} B gzip > ${DASHBOARD_BUDGET_GZ} B`,
    );
  });
});

Deno.test("the monitor pages load their own bundle, at most 40 KB of JavaScript gzip-compressed", async () => {
  await withApiKit(async ({ app }) => {
    const html = await (await app.request("/monitors")).text();
    const { scripts, gzipBytes: total } = await pageScripts(app, html);
    assert.ok(scripts.some((s) => /\/monitors-[0-9a-f]+\.js$/.test(s)));
    assert.ok(!scripts.some((s) => /\/boot-/.test(s)), "not the dashboard's");
    console.log(
      `monitor pages JavaScript: ${
        (total / 1024).toFixed(1)
      } KB gzip in ${scripts.length} files (budget 40 KB)`,
    );
    assert.ok(total <= JS_BUDGET_GZ, `${total} B gzip > ${JS_BUDGET_GZ} B`);
  });
});

Deno.test("hashed bundles are immutable, gzip on request; other static files briefly cached", async () => {
  await withApiKit(async ({ app }) => {
    const html = await (await app.request("/")).text();
    const css =
      /<link rel="stylesheet" href="(\/static\/build\/app-[0-9a-f]+\.css)"/
        .exec(html)![1];
    const plain = await app.request(css);
    assert.equal(plain.status, 200);
    assert.equal(
      plain.headers.get("cache-control"),
      "public, max-age=31536000, immutable",
    );
    assert.equal(plain.headers.get("content-type"), "text/css; charset=utf-8");
    assert.match(await plain.text(), /\.uplot/);
    const zipped = await app.request(css, {
      headers: { "accept-encoding": "gzip, br" },
    });
    assert.equal(zipped.headers.get("content-encoding"), "gzip");
    const icon = await app.request("/static/favicon.svg");
    assert.equal(icon.status, 200);
    assert.equal(icon.headers.get("cache-control"), "public, max-age=300");
    await icon.body?.cancel();
    for (const bad of ["/static/../deno.json", "/static/build/nope.js"]) {
      const res = await app.request(bad);
      assert.equal(res.status, 404, bad);
      await res.body?.cancel();
    }
  });
});
