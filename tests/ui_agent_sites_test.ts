// Browser: "Probe from" on the dashboard. One server probed from this
// service and from site lab (an agent process on loopback) side by side: both
// rows in the live table, each with every probe.
import assert from "node:assert/strict";
import {
  noBrowser,
  summaryCell,
  waitForEnd,
  withBrowser,
} from "../testing/browser_kit.ts";
import { startAgent } from "../testing/agent_process.ts";
import { sleep } from "../testing/server_process.ts";

Deno.test({
  name: "dashboard: one server from two sites side by side",
  ignore: noBrowser,
  fn: () =>
    withBrowser("dashboard-sites", async ({ page, server }) => {
      const dir = await Deno.makeTempDir({ prefix: "pla-ui-agent-" });
      const agent = startAgent({
        server: server.base,
        site: "lab",
        name: "lab-ui",
        dir,
      });
      try {
        await agent.waitFor("serving site lab");
        for (let i = 0; i < 100; i++) {
          const list = await (await fetch(`${server.base}/api/agents`)).json();
          if (list.agents.some((a: { online: boolean }) => a.online)) break;
          await sleep(50);
        }
        await page.goto("/");
        assert.match(
          (await page.textContent("[data-testid=agents]"))!,
          /lab-ui/,
        );
        await page.check('input[name=server][value="lo"]');
        await page.check('input[name=site][value="local"]');
        await page.check('input[name=site][value="lab"]');
        await page.fill("input[name=count]", "10");
        await page.fill("input[name=interval_ms]", "20");
        await page.click("[data-testid=start]");
        assert.equal(await waitForEnd(page), "completed");
        assert.equal(await summaryCell(page, "lo", "sent"), "10");
        assert.equal(await summaryCell(page, "lo@lab", "sent"), "10");
      } finally {
        await agent.stop("SIGKILL");
        await Deno.remove(dir, { recursive: true });
      }
    }, {
      config: `servers:
  - { id: lo, name: Loopback, host: 127.0.0.1 }
  - { id: lo-lab, name: Loopback at lab, host: 127.0.0.1, site: lab }
`,
    }),
});
