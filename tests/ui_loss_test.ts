// Browser: real packet loss (the netns test bed drops 30 % of the echo
// requests, seeded) shows as red markers on the RTT chart, one per lost
// probe, and the table's loss agrees. Probes only the bed's own 198.18/15
// address; needs root, so it skips elsewhere with the reason.
import assert from "node:assert/strict";
import {
  createTestbed,
  testbedUnavailableReason,
} from "../testing/testbed/testbed.ts";
import {
  noBrowser,
  summaryCell,
  waitForPoints,
  withBrowser,
} from "../testing/browser_kit.ts";
import { gate } from "../testing/gate.ts";

const noBed = gate("loss browser test", await testbedUnavailableReason());
const COUNT = 80;

Deno.test({
  name: "lost probes are visible: markers on the chart, loss in the table",
  ignore: noBrowser || noBed,
  async fn() {
    await using bed = await createTestbed();
    const responder = await bed.startResponder({
      loss: 0.3,
      seed: 7,
      maxPackets: COUNT,
      maxSeconds: 30,
    });
    const config = `servers:
  - id: lossy
    name: Lossy link (test bed)
    host: ${bed.targetAddress}
    group: emulated
auth: { mode: open }
`;
    await withBrowser("lost-probes", async ({ page }) => {
      await page.goto("/");
      await page.check('input[name=server][value="lossy"]');
      await page.fill("input[name=interval_ms]", "20");
      await page.fill("input[name=count]", String(COUNT));
      await page.click("[data-testid=start]");
      await waitForPoints(page, "lossy", COUNT, 20_000);
      await page.waitForFunction(() =>
        document.querySelector("[data-testid=status]")?.textContent ===
          "completed"
      );
      const truth = await responder.stop();
      const dropped = truth.filter((r) => r.action === "drop").length;
      assert.ok(dropped > 5, `the bed dropped only ${dropped}`);
      const chart = "[data-testid=chart][data-target=lossy]";
      assert.equal(
        Number(await page.getAttribute(chart, "data-lost")),
        dropped,
      );
      assert.equal(Number(await summaryCell(page, "lossy", "sent")), COUNT);
      assert.equal(
        Number(await summaryCell(page, "lossy", "received")),
        COUNT - dropped,
      );
      assert.equal(
        await summaryCell(page, "lossy", "loss"),
        `${((dropped / COUNT) * 100).toFixed(2)} %`,
      );
    }, { config });
  },
});
