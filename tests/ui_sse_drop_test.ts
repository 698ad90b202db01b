// Browser: the live connection drops mid-test (the proxy between browser and
// server closes every socket and refuses new ones for a while); the stream
// resumes after the last event it had, so the chart ends with every probe.
import assert from "node:assert/strict";
import {
  chartPoints,
  noBrowser,
  summaryCell,
  waitForEnd,
  waitForPoints,
  withBrowser,
} from "../testing/browser_kit.ts";

const COUNT = 150;

Deno.test({
  name: "a dropped SSE connection: the chart continues without a gap",
  ignore: noBrowser,
  fn: () =>
    withBrowser("sse-drop", async ({ page, proxy, server }) => {
      // Where each event stream request asked to start.
      const streams: Promise<string | null>[] = [];
      page.on("request", (r) => {
        if (!r.url().includes("/events")) return;
        streams.push(
          r.allHeaders().then((h) =>
            h["last-event-id"] ??
              new URL(r.url()).searchParams.get("last_event_id")
          ),
        );
      });
      await page.goto("/");
      await page.check('input[name=server][value="localhost-v4"]');
      await page.fill("input[name=interval_ms]", "40");
      await page.fill("input[name=count]", String(COUNT));
      await page.click("[data-testid=start]");
      await waitForPoints(page, "localhost-v4", 20);
      const before = await chartPoints(page, "localhost-v4");
      proxy.dropAll(500);
      // Probes keep going on the server while the page is cut off.
      await page.waitForFunction(
        () =>
          document.querySelector(".live-head")?.textContent?.includes(
            "reconnecting",
          ),
        null,
        { timeout: 5000 },
      );
      assert.equal(await waitForEnd(page, 30_000), "completed");
      await waitForPoints(page, "localhost-v4", COUNT);
      assert.equal(await chartPoints(page, "localhost-v4"), COUNT);
      assert.equal(
        await summaryCell(page, "localhost-v4", "sent"),
        String(COUNT),
      );
      assert.ok(before < COUNT, "the drop happened mid-test");
      // It resumed after the last event it had rather than starting over.
      const from = await Promise.all(streams);
      console.log(`event streams started after ids: ${from.join(", ")}`);
      assert.ok(from.length >= 2, `${from.length} event streams`);
      assert.ok(Number(from.at(-1)) > 0, `resumed with ${from.at(-1)}`);
      // The server stored exactly these probes.
      const id = new URL(page.url()).pathname.split("/").at(-1);
      const samples = await (await fetch(
        `${server.base}/api/tests/${id}/samples?limit=10000`,
      )).json();
      assert.equal(samples.probes.length, COUNT);
    }),
});
