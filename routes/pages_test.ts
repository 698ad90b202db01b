// The pages rendered on the server, as a browser without script sees them.
import assert from "node:assert/strict";
import { quickTest, withApiKit } from "../testing/api_testkit.ts";
import { storePathTest } from "../testing/stored_path.ts";

const page = async (res: Response, status = 200) => {
  assert.equal(res.status, status);
  assert.match(res.headers.get("content-type") ?? "", /^text\/html/);
  const html = await res.text();
  assert.ok(html.startsWith("<!DOCTYPE html>"));
  assertCspSafe(html);
  return html;
};

/** No inline script code, no <style> element, no style attribute. */
function assertCspSafe(html: string) {
  for (const tag of html.match(/<script\b[^>]*>/g) ?? []) {
    assert.ok(
      / src="\/static\/build\/[\w.-]+"/.test(tag) ||
        tag.includes('type="application/json"'),
      `inline script: ${tag}`,
    );
  }
  assert.doesNotMatch(html, /<style\b/);
  assert.doesNotMatch(html, /\sstyle=/);
}

Deno.test("dashboard lists the servers and the controls without script", async () => {
  await withApiKit(async ({ app }) => {
    const html = await page(await app.request("/"));
    for (const id of ["localhost-v4", "localhost-v6"]) {
      assert.match(
        html,
        new RegExp(
          `<label[^>]*><input type="checkbox" name="server" value="${id}"`,
        ),
      );
    }
    assert.match(html, /Localhost \(IPv4\)/);
    for (const name of ["interval_ms", "count", "duration_s", "size"]) {
      assert.match(html, new RegExp(`<input id="f-${name}" name="${name}"`));
      assert.match(html, new RegExp(`<label for="f-${name}"`));
    }
    // What to measure: ping (checked) and path, with its max hops.
    assert.match(
      html,
      /<input type="checkbox" name="mode" value="ping" checked/,
    );
    assert.match(html, /<input type="checkbox" name="mode" value="path"\/>/);
    assert.match(html, /<input id="f-max_hops" name="max_hops"[^>]*value="30"/);
    assert.match(html, /data-testid="start"/);
    assert.match(html, /data-testid="stop"/);
    assert.match(html, /data-testid="theme-toggle"/);
    // Island props travel as JSON data blocks.
    assert.match(
      html,
      /<script type="application\/json" id="island-props-\d+">\{"servers":\[/,
    );
  });
});

Deno.test("a finished test's page shows its summary table; history links to it", async () => {
  await withApiKit(async (kit) => {
    const id = await quickTest(kit);
    const html = await page(await kit.app.request(`/tests/${id}`));
    assert.match(html, /<table data-testid="summary"/);
    const row = /<tr data-target="localhost-v4">(.*?)<\/tr>/s.exec(html);
    assert.ok(row, "a row for the target");
    assert.match(row[1], /data-col="sent"[^>]*>1<\/td>/);
    assert.match(row[1], /data-col="received"[^>]*>1<\/td>/);
    assert.match(row[1], /data-col="loss"[^>]*>0 %<\/td>/);
    assert.match(html, /data-testid="status"[^>]*>completed</);
    assert.match(
      html,
      new RegExp(`href="/api/tests/${id}/export\\?format=csv"`),
    );
    assert.match(html, /data-testid="chart" data-target="localhost-v4"/);

    const history = await page(await kit.app.request("/tests"));
    assert.match(
      history,
      new RegExp(`<tr data-test-id="${id}">.*?href="/tests/${id}"`, "s"),
    );
    const dashboard = await page(await kit.app.request("/"));
    assert.match(dashboard, /<caption>Recent tests<\/caption>/);
    assert.match(dashboard, new RegExp(`<tr data-test-id="${id}">`));
    const filtered = await page(
      await kit.app.request("/tests?status=stopped&target=localhost-v4"),
    );
    assert.doesNotMatch(filtered, /data-test-id=/);
    assert.match(filtered, /No tests match these filters/);
  });
});

Deno.test("a path test's page renders the path view (a hop table per target), not the ping charts", async () => {
  await withApiKit(async (kit) => {
    await storePathTest(kit.store, "path1");
    const html = await page(await kit.app.request("/tests/path1"));
    assert.match(html, /<div class="paths" data-testid="path-view">/);
    for (const t of ["path-a", "path-b"]) {
      assert.match(
        html,
        new RegExp(`<article class="card path" data-target="${t}">`),
      );
    }
    assert.equal(
      html.match(/<table class="hops" data-testid="hops">/g)?.length,
      2,
    );
    assert.doesNotMatch(html, /data-testid="chart"/);
    // A ping test's page has no path view.
    const id = await quickTest(kit);
    const ping = await page(await kit.app.request(`/tests/${id}`));
    assert.doesNotMatch(ping, /data-testid="path-view"/);
    // The history shows each test's mode.
    const history = await page(await kit.app.request("/tests"));
    const row = /<tr data-test-id="path1">(.*?)<\/tr>/s.exec(history);
    assert.match(row?.[1] ?? "", /data-label="Mode">path</);
  });
});

Deno.test("unknown test id: HTML 404; bad history filter: 400 naming it", async () => {
  await withApiKit(async ({ app }) => {
    const html = await page(await app.request("/tests/nope"), 404);
    assert.match(html, /There is no test with id “nope”/);
    // An id no test can have (too long for a KV key) is the same 404, as in
    // the API, not a storage error.
    const long = "a".repeat(5000);
    const tooLong = await page(await app.request(`/tests/${long}`), 404);
    assert.match(tooLong, new RegExp(`no test with id “a{64}…”`));
    const api = await app.request(`/api/tests/${long}`);
    assert.equal(api.status, 404);
    await api.body?.cancel();
    const bad = await page(await app.request("/tests?from=yesterday"), 400);
    assert.match(
      bad,
      /role="alert">from: &quot;yesterday&quot; is not an ISO 8601 time/,
    );
  });
});

Deno.test("a browser asking for an unknown page gets the HTML 404; API clients keep JSON", async () => {
  await withApiKit(async ({ app }) => {
    const accept = { accept: "text/html,application/xhtml+xml" };
    const html = await page(
      await app.request("/nowhere", { headers: accept }),
      404,
    );
    assert.match(html, /There is no page at \/nowhere/);
    const api = await app.request("/api/nowhere", { headers: accept });
    assert.equal(api.status, 404);
    assert.equal(api.headers.get("content-type"), "application/problem+json");
    await api.body?.cancel();
    const curl = await app.request("/nowhere");
    assert.equal(curl.headers.get("content-type"), "application/problem+json");
    await curl.body?.cancel();
  });
});
