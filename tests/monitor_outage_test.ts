// A monitor through a real outage: the real service watches a test-bed host
// (a namespace at 198.18.x.x, kernel echo) in 1-second steps; nftables in the
// host's namespace makes it go dark and come back; a real HTTP receiver on
// loopback takes the webhooks. The service is restarted mid-outage. Checks:
// exactly one firing and one resolved webhook, at the steps the rule says;
// the state and the data survive the restart; the restart's downtime is a
// gap, never loss.
import assert from "node:assert/strict";
import {
  createTestbed,
  type Testbed,
  testbedUnavailableReason,
} from "../testing/testbed/testbed.ts";
import {
  getJson,
  type Server,
  sleep,
  startServer,
  stopServer,
} from "../testing/server_process.ts";
import { gate } from "../testing/gate.ts";
import { mustRun, runCommand } from "../testing/run_command.ts";
import type {
  AlertEvent,
  MonitorPoint,
  MonitorSeries,
} from "../model/monitor.ts";

const noBed = gate("monitor outage test", await testbedUnavailableReason());
const nftMissing = await runCommand("nft", ["--version"]).then(
  (r) => r.code === 0 ? null : "'nft' does not work",
  () => "'nft' not found (apt-get install nftables)",
);
const noNft = gate("monitor outage test (nftables)", nftMissing);

interface Hook {
  state: string;
  alert: string;
  monitor: string;
  value: number;
  threshold: number;
  since: string;
  url: string;
  text: string;
}

/** A webhook receiver on loopback that keeps every body. */
function receiver() {
  const got: Hook[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (req) => {
      got.push(await req.json());
      return new Response("ok");
    },
  );
  return { got, url: `http://127.0.0.1:${server.addr.port}/hook`, server };
}

const config = (bed: Testbed, hook: string) =>
  `servers:
  - { id: bed, name: Bed host, host: ${bed.targetAddress} }
monitors:
  - id: bed-watch
    server: bed
    step_s: 1
    probes: 5
    timeout_ms: 300
    alerts:
      - { name: down, loss_pct_above: 99, for_steps: 2, notify: [hook] }
notify:
  - { id: hook, type: webhook, url: "${hook}" }
`;

async function dark(bed: Testbed, on: boolean): Promise<void> {
  const nft = (args: string[]) =>
    mustRun("ip", ["netns", "exec", bed.nsName, "nft", ...args]);
  if (on) {
    await nft(["add", "table", "inet", "dark"]);
    await nft([
      "add chain inet dark in { type filter hook input priority 0; policy accept; }",
    ]);
    await nft([
      "add rule inet dark in icmp type echo-request counter drop",
    ]);
  } else {
    await nft(["delete", "table", "inet", "dark"]);
  }
}

async function until<T>(
  what: string,
  ms: number,
  f: () => Promise<T | null | undefined | false>,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting: ${what}`);
    await sleep(100);
  }
}

/** GET as JSON, typed (the API's shapes come from model/monitor.ts). */
const get = async <T>(url: string) => (await getJson(url)) as unknown as T;

const series = (base: string, from: number) =>
  get<MonitorSeries>(
    `${base}/api/monitors/bed-watch/series?from=${from}&to=${
      Date.now() + 5000
    }&resolution=step`,
  );

Deno.test({
  name:
    "monitor outage: one firing and one resolved webhook at the rule's steps; a restart mid-outage keeps state and data, its downtime a gap",
  ignore: noBed || noNft,
  async fn() {
    const dir = await Deno.makeTempDir();
    const bed = await createTestbed({ kernelEcho: true });
    const hooks = receiver();
    let server: Server | null = null;
    try {
      const cfg = config(bed, hooks.url);
      server = await startServer({ dir, config: cfg });
      const t0 = Date.now() - 1000;
      // Healthy steps first.
      await until("3 healthy points", 15_000, async () => {
        const s = await series(server!.base, t0);
        return s.points.filter((p) => p.loss_pct === 0).length >= 3;
      });

      await dark(bed, true);
      const firing = await until(
        "the firing webhook",
        15_000,
        () => Promise.resolve(hooks.got.find((h) => h.state === "firing")),
      );
      assert.equal(firing.monitor, "bed-watch");
      assert.equal(firing.alert, "down");
      assert.equal(firing.value, 100);
      assert.equal(firing.threshold, 99);
      assert.equal(firing.url, "/monitors/bed-watch");

      // Restart mid-outage: the service is down for about 2.5 s.
      assert.equal((await stopServer(server)).code, 0, server.output());
      const downFrom = Date.now();
      await sleep(2500);
      server = await startServer({ dir, config: cfg });
      const downTo = Date.now();
      // Still dark: more 100 % steps after the restart, still firing, and no
      // second firing webhook.
      await until("two dark steps after the restart", 15_000, async () => {
        const s = await series(server!.base, downTo);
        return s.points.filter((p) => p.loss_pct === 100).length >= 2;
      });
      const during = await get<{ state: string; firing: string[] }>(
        `${server.base}/api/monitors/bed-watch`,
      );
      assert.equal(during.state, "alerting");
      assert.deepEqual(during.firing, ["down"]);

      await dark(bed, false);
      const resolved = await until(
        "the resolved webhook",
        15_000,
        () => Promise.resolve(hooks.got.find((h) => h.state === "resolved")),
      );
      assert.equal(resolved.value, 0);
      // Nothing more comes: exactly one of each.
      await sleep(2500);
      assert.deepEqual(hooks.got.map((h) => h.state), ["firing", "resolved"]);

      const s = await series(server.base, t0);
      const pts: MonitorPoint[] = s.points;
      const at = (t: number) => pts.findIndex((p) => p.t === t);
      // The firing: `since` is the first of two consecutive 100 % steps.
      const since = Date.parse(firing.since);
      const i = at(since);
      assert.ok(i > 0, `a point at since ${firing.since}`);
      assert.equal(pts[i].loss_pct, 100);
      assert.equal(pts[i + 1].loss_pct, 100);
      assert.equal(pts[i + 1].t, since + 1000);
      assert.ok(pts[i - 1].loss_pct < 100, "the step before was not dark");
      // The resolution: after two consecutive good steps (loss at most 99 %:
      // the step the host came back in counts), the second ending when it
      // resolved.
      const alerts = await get<{ alerts: AlertEvent[] }>(
        `${server.base}/api/alerts?monitor=bed-watch`,
      );
      assert.deepEqual(alerts.alerts.map((a) => a.state), ["ok", "firing"]);
      const resolvedAt = Date.parse(alerts.alerts[0].at);
      const j = at(resolvedAt - 1000);
      assert.ok(j > 0, `a point ending at ${alerts.alerts[0].at}`);
      assert.equal(pts[j].loss_pct, 0);
      assert.ok(pts[j - 1].loss_pct <= 99, JSON.stringify(pts[j - 1]));
      assert.equal(
        pts[j - 2].loss_pct,
        100,
        "the good run is exactly two steps",
      );
      assert.equal(Date.parse(resolved.since), Date.parse(alerts.alerts[1].at));

      // The restart's downtime is a gap: no point in it, and a gap stored.
      const gap = s.gaps.find((g) => g.from < downTo && g.to > downFrom);
      assert.ok(
        gap,
        `a gap over ${downFrom}..${downTo}: ${JSON.stringify(s.gaps)}`,
      );
      const inside = pts.filter((p) =>
        p.t >= gap.from && p.t + p.span_s * 1000 <= gap.to
      );
      assert.deepEqual(inside, [], "no point (no loss) inside the gap");
      // Every dark step has every probe lost; every other step has none
      // lost, but the two partly dark ones at the edges.
      const partial = pts.filter((p) => p.loss_pct > 0 && p.loss_pct < 100);
      assert.ok(partial.length <= 2, JSON.stringify(partial));
      assert.equal((await stopServer(server)).code, 0, server.output());
      server = null;
    } finally {
      if (server) await stopServer(server, "SIGKILL");
      await hooks.server.shutdown();
      await bed.destroy();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
