// Browser: /device runs a device test from headless Chromium against the real
// server over WebRTC (loopback): the live table and charts fill, the test is
// stored as kind "device" with its client, and /tests/{id} replays it.
import assert from "node:assert/strict";
import { noBrowser, withBrowser } from "../testing/browser_kit.ts";
import { getJson } from "../testing/server_process.ts";

Deno.test({
  name:
    "device page: a browser test over WebRTC fills the table and charts, is stored and replays",
  ignore: noBrowser,
  fn: () =>
    withBrowser("device-page", async ({ page, server }) => {
      await page.goto("/device");
      await page.selectOption("select[name=preset]", "game");
      assert.equal(await page.inputValue("input[name=size]"), "64");
      await page.fill("input[name=rate]", "50");
      await page.fill("input[name=duration_s]", "3");
      await page.click("[data-testid=device-start]");
      await page.waitForSelector("[data-testid=device-live]");
      await page.waitForFunction(
        () =>
          document.querySelector("[data-testid=device-status]")
            ?.textContent === "completed",
        null,
        { timeout: 30_000 },
      );
      const href = await page.getAttribute("[data-testid=device-link]", "href");
      const id = href!.split("/").pop()!;
      const t = await getJson(`${server.base}/api/tests/${id}`);
      assert.equal(t.kind, "device");
      assert.equal(t.status, "completed");
      const summary = t.summary as {
        upload: Record<string, number>;
        download: Record<string, number>;
        round_trip: Record<string, number | null>;
      };
      assert.equal(summary.upload.sent, 150);
      assert.equal(summary.upload.received, 150);
      assert.equal(summary.download.received, 150);
      assert.equal(summary.round_trip.lost, 0);
      assert.ok((summary.round_trip.avg_rtt_ms ?? 0) > 0);
      const device = t.device as { client: string; client_address: string };
      assert.match(device.client, /Chrome/);
      assert.ok(device.client_address.length > 0);
      // The page's table shows the server's figures.
      const upSent = await page.textContent(
        "[data-testid=device-upload] [data-k=sent]",
      );
      assert.equal(upSent, "150");
      const rttPoints = await page.getAttribute(
        "[data-testid=device-chart-rtt]",
        "data-points",
      );
      assert.equal(rttPoints, "150");
      // The history lists it; its page replays it from the store.
      const list = await getJson(`${server.base}/api/tests`);
      assert.ok(
        (list.tests as { id: string; kind?: string }[]).some((x) =>
          x.id === id && x.kind === "device"
        ),
      );
      // Exported like any test: one CSV row per probe.
      const csv = await (await fetch(
        `${server.base}/api/tests/${id}/export?format=csv`,
      )).text();
      const probeRows = csv.split("\n").filter((l) =>
        l.includes(",device,") && /,(ok|late|lost),/.test(l)
      );
      assert.equal(probeRows.length, 150);
      await page.goto("/tests");
      assert.ok(
        await page.isVisible(`a[href="/tests/${id}"]`),
        "listed in the history",
      );
      await page.goto(`/tests/${id}`);
      await page.waitForFunction(
        () =>
          document.querySelector("[data-testid=device-chart-rtt]")
            ?.getAttribute("data-points") === "150",
        null,
        { timeout: 15_000 },
      );
      assert.equal(
        await page.textContent("[data-testid=device-status]"),
        "completed",
      );
      assert.match(
        (await page.textContent("[data-testid=device-client]"))!,
        /Chrome/,
      );
    }),
});

Deno.test({
  name: "device page: Stop ends the test stopped, with what was measured",
  ignore: noBrowser,
  fn: () =>
    withBrowser("device-page-stop", async ({ page, server }) => {
      await page.goto("/device");
      await page.fill("input[name=rate]", "50");
      await page.fill("input[name=duration_s]", "60");
      await page.click("[data-testid=device-start]");
      await page.waitForFunction(
        () =>
          Number(
            document.querySelector("[data-testid=device-chart-rtt]")
              ?.getAttribute("data-points"),
          ) >= 25,
        null,
        { timeout: 20_000 },
      );
      await page.click("[data-testid=stop]");
      await page.waitForFunction(
        () =>
          document.querySelector("[data-testid=device-status]")
            ?.textContent === "stopped",
        null,
        { timeout: 15_000 },
      );
      const href = await page.getAttribute("[data-testid=device-link]", "href");
      const t = await getJson(
        `${server.base}/api/tests/${href!.split("/").pop()}`,
      );
      assert.equal(t.status, "stopped");
      const s = t.summary as { upload: { sent: number } };
      assert.ok(
        s.upload.sent >= 25 && s.upload.sent < 3000,
        `${s.upload.sent}`,
      );
      // A bad value is refused with the API's message beside its field.
      await page.fill("input[name=rate]", "500");
      await page.click("[data-testid=device-start]");
      await page.waitForSelector(".field-error");
      assert.match(
        (await page.textContent(".field-error"))!,
        /rate: rate must be at most 300/,
      );
    }),
});
