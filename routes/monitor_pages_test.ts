// The monitor pages rendered on the server through the app, with a
// MonitorPages over plain data (the seam the monitor service plugs into).
import assert from "node:assert/strict";
import { withApiKit } from "../testing/api_testkit.ts";
import {
  dayFixture,
  fixturePages,
  statuses,
} from "../testing/monitor_fixture.ts";

const END = Date.UTC(2026, 10, 29, 12, 0);
const day = dayFixture("gw-watch", END);
const pages = fixturePages(statuses(day.points.at(-1)!));

async function page(res: Response, status = 200) {
  assert.equal(res.status, status);
  assert.match(res.headers.get("content-type") ?? "", /^text\/html/);
  const html = await res.text();
  // CSP: no inline script code, no style element or attribute.
  for (const tag of html.match(/<script\b[^>]*>/g) ?? []) {
    assert.ok(
      / src="\/static\/build\/[\w.-]+"/.test(tag) ||
        tag.includes('type="application/json"'),
      `inline script: ${tag}`,
    );
  }
  assert.doesNotMatch(html, /<style\b|\sstyle=/);
  return html;
}

Deno.test("/monitors lists every monitor grouped like the servers, with state and figures", async () => {
  await withApiKit(async ({ app }) => {
    const html = await page(await app.request("/monitors"));
    assert.match(html, /<title>Monitors · packet-loss-analyzer<\/title>/);
    // The nav links it, marked current; the page loads its own bundle.
    assert.match(
      html,
      /<a href="\/monitors" aria-current="page">Monitors<\/a>/,
    );
    assert.match(html, /src="\/static\/build\/monitors-[0-9a-f]+\.js"/);
    assert.doesNotMatch(html, /src="\/static\/build\/boot-/);
    const groups = [...html.matchAll(/data-group="([^"]+)"/g)].map((m) => m[1]);
    assert.deepEqual(groups, ["Local", "Remote"]);
    const row = (id: string) =>
      new RegExp(`<tr data-monitor="${id}">(.*?)</tr>`, "s").exec(html)?.[1] ??
        "";
    assert.match(row("gw-watch"), /href="\/monitors\/gw-watch"/);
    assert.match(row("gw-watch"), /class="badge m-ok"[^>]*>ok</);
    assert.match(row("gw-watch"), /data-col="loss"[^>]*>0 %</);
    assert.match(row("gw-watch"), /data-col="median"[^>]*>\d+\.\d ms</);
    assert.match(row("gw-watch"), /data-testid="monitor-spark"/);
    assert.match(
      row("v6-watch"),
      /m-alerting"[^>]*title="firing: down"[^>]*>alerting</,
    );
    assert.match(row("far-watch"), /m-no_data"[^>]*>no data</);
    assert.match(row("far-watch"), /data-col="loss"[^>]*>–</);
    // Names are escaped.
    assert.match(html, /Far away &lt;edge>/);
    assert.match(html, /3 monitors, 1 alerting/);
    // The dashboard keeps its bundle, and links the monitors too.
    const dash = await page(await app.request("/"));
    assert.match(dash, /src="\/static\/build\/boot-[0-9a-f]+\.js"/);
    assert.match(dash, /<a href="\/monitors">Monitors<\/a>/);
  }, { monitorPages: pages });
});

Deno.test("/monitors without a monitor service says there are none", async () => {
  await withApiKit(async ({ app }) => {
    const html = await page(await app.request("/monitors"));
    assert.match(html, /data-testid="no-monitors"/);
    assert.match(html, /0 monitors/);
  });
});

Deno.test("/monitors/:id renders the chart's frame, figures, ranges, rules and the island's props", async () => {
  await withApiKit(async ({ app }) => {
    const html = await page(await app.request("/monitors/gw-watch"));
    assert.match(html, /<h1>Localhost \(IPv4\)<\/h1>/);
    assert.match(html, /data-testid="smoke-chart"/);
    for (const r of ["3h", "1d", "1w", "1m", "1y"]) {
      assert.match(html, new RegExp(`data-range="${r}"`));
    }
    assert.match(html, /data-range="1d" aria-pressed="true"/);
    assert.match(html, /data-testid="start-full"/);
    assert.match(html, /data-testid="alert-timeline"/);
    assert.match(
      html,
      /<strong>down<\/strong>: loss above 99 % for 2\s*steps, notifies ops/,
    );
    // The latest figures, without script.
    assert.match(html, /<dd data-col="loss">0 %<\/dd>/);
    assert.match(html, /<dd data-col="median">\d+\.\d ms<\/dd>/);
    // Props: the plain status, not the spec.
    const props = /data-island="SmokeChart" data-props="([^"]+)"/.exec(html)!;
    const json = new RegExp(`id="${props[1]}">(.*?)</script>`, "s").exec(html)!;
    const parsed = JSON.parse(json[1]);
    assert.equal(parsed.monitor.id, "gw-watch");
    assert.equal(parsed.monitor.spec, undefined);
    assert.equal(parsed.readOnly, false);
  }, { monitorPages: pages });
});

Deno.test("/monitors/:id of an unknown or impossible id is the HTML 404", async () => {
  await withApiKit(async ({ app }) => {
    const html = await page(await app.request("/monitors/nope"), 404);
    assert.match(html, /There is no monitor with id “nope”/);
    const long = "a".repeat(500);
    const tooLong = await page(await app.request(`/monitors/${long}`), 404);
    assert.match(tooLong, /no monitor with id “a{64}…”/);
  }, { monitorPages: pages });
});
