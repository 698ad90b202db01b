// Device test acceptance: headless Chromium inside a network namespace tests
// its path to the server across a veth while nftables drops a random share
// of the probe packets each way, each drop counted. The upload and download
// losses the service reports must equal the counters exactly.
import assert from "node:assert/strict";
import {
  createTestbed,
  testbedUnavailableReason,
} from "../testing/testbed/testbed.ts";
import {
  addDropRules,
  dropCounters,
  launchBrowserIn,
  removeDropRules,
} from "../testing/testbed/device_bed.ts";
import { noBrowser } from "../testing/browser_kit.ts";
import { gate } from "../testing/gate.ts";
import { runCommand } from "../testing/run_command.ts";
import {
  getJson,
  ROOT,
  sleep,
  startServer,
  stopServer,
  waitForTestEnd,
} from "../testing/server_process.ts";
import { taskPermissions } from "../testing/deno_flags.ts";
import type { Page } from "playwright-core";

async function reason(): Promise<string | null> {
  const bed = await testbedUnavailableReason();
  if (bed) return bed;
  try {
    const r = await runCommand("nft", ["--version"]);
    return r.code === 0 ? null : `'nft' does not work: ${r.stderr.trim()}`;
  } catch {
    return "'nft' not found (install nftables)";
  }
}
const noBed = gate("device netns test", await reason());

const RATE = 50;
const DURATION_S = 12;

interface Summary {
  upload: Record<string, number>;
  download: Record<string, number>;
  round_trip: Record<string, number>;
}

/** Polls until the newest test is a running device test with a report; returns its id. */
async function flowingTest(base: string): Promise<string> {
  const deadline = Date.now() + 20_000;
  while (true) {
    const list = await getJson(`${base}/api/tests?limit=1`);
    const t = (list.tests as {
      id: string;
      kind?: string;
      status: string;
      device?: { summary: unknown };
    }[])[0];
    if (t?.kind === "device" && t.status === "running" && t.device?.summary) {
      return t.id;
    }
    assert.ok(Date.now() < deadline, "no flowing device test within 20 s");
    await sleep(100);
  }
}

/**
 * A server on the bed's host end, a client in the namespace started by
 * `client` (it must send 1000-byte probes at RATE for DURATION_S with a 1 s
 * acceptable delay), drop rules added once probes flow; checks the stored
 * losses against the counters and returns the test.
 */
async function lossyRun(
  client: (
    base: string,
    ns: string,
  ) => Promise<{ finished: Promise<void>; close(): Promise<void> }>,
): Promise<Record<string, unknown>> {
  await using bed = await createTestbed({ kernelEcho: true, warmUp: false });
  // A port range of its own: parallel runs do not share rules.
  const first = 41000 + 20 * Math.floor(Math.random() * 400);
  const ports = { first, last: first + 19 };
  const dir = await Deno.makeTempDir({ prefix: "pla-device-netns-" });
  const server = await startServer({
    dir,
    config: `servers:
  - { id: bed, name: Bed, host: ${bed.targetAddress} }
device_test: { ports: "${first}-${ports.last}", idle_s: 5 }
auth: { mode: open }
`,
    env: { HOST: bed.hostAddress },
  });
  const base = `http://${bed.hostAddress}:${server.port}`;
  const run = await client(base, bed.nsName);
  try {
    // The rules go in once probes flow (after the DTLS handshake, whose
    // packets may be as long as a probe).
    const id = await flowingTest(base);
    // Probes of 1000 bytes: longer than any control packet (results
    // messages stay under ~700 bytes), so the rules drop probes only.
    await addDropRules(bed, {
      ports,
      upEvery: 10,
      downEvery: 8,
      minUdpLength: 900,
    });
    await run.finished;
    const t = await waitForTestEnd(base, id, 30_000, { everyMs: 100 });
    const counters = await dropCounters(bed);
    assert.equal(t.status, "completed");
    const s = t.summary as Summary;
    const upDrop = counters.get("up_drop")!;
    const downDrop = counters.get("down_drop")!;
    console.log(
      `sent ${s.upload.sent}; dropped up ${upDrop} (seen ${
        counters.get("up_seen")
      }), down ${downDrop} (seen ${
        counters.get("down_seen")
      }); reported up ${s.upload.lost}, down ${s.download.lost}, late ${s.round_trip.late}`,
    );
    assert.ok(upDrop > 0 && downDrop > 0, "the rules dropped both ways");
    assert.equal(s.upload.sent, RATE * DURATION_S);
    assert.equal(s.upload.lost, upDrop, "upload loss = drops toward server");
    assert.equal(
      s.download.lost,
      downDrop,
      "download loss = drops from server",
    );
    assert.equal(s.download.echoed, s.upload.received);
    assert.equal(s.round_trip.lost, upDrop + downDrop + s.round_trip.late);
    const device = t.device as { client_address: string };
    assert.equal(device.client_address, bed.targetAddress);
    return t;
  } finally {
    await removeDropRules(bed);
    await run.close();
    await stopServer(server);
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name:
    "device test from Chromium across a lossy veth: reported upload and download losses equal the nftables drop counters",
  ignore: noBrowser || noBed,
  async fn() {
    const shown: Record<string, string | null> = {};
    const t = await lossyRun(async (base, ns) => {
      const browser = await launchBrowserIn(ns);
      const page: Page = await browser.newPage();
      await page.goto(`${base}/device`);
      await page.fill("input[name=size]", "1000");
      await page.fill("input[name=rate]", String(RATE));
      await page.fill("input[name=duration_s]", String(DURATION_S));
      await page.fill("input[name=delay_ms]", "1000");
      await page.click("[data-testid=device-start]");
      const finished = page.waitForFunction(
        () =>
          document.querySelector("[data-testid=device-status]")
            ?.textContent === "completed",
        null,
        { timeout: 60_000 },
      ).then(async () => {
        // What the page shows once the test ended.
        for (const dir of ["upload", "download"]) {
          shown[dir] = await page.textContent(
            `[data-testid=device-${dir}] [data-k=lost]`,
          );
        }
      });
      return { finished, close: () => browser.close() };
    });
    assert.equal(t.kind, "device");
    const s = t.summary as Summary;
    assert.deepEqual(shown, {
      upload: String(s.upload.lost),
      download: String(s.download.lost),
    });
  },
});

Deno.test({
  name:
    "device test from the terminal client across a lossy veth: losses equal the counters",
  ignore: noBed,
  async fn() {
    let out = "";
    const t = await lossyRun((base, ns) => {
      const child = new Deno.Command("ip", {
        args: [
          "netns",
          "exec",
          ns,
          Deno.execPath(),
          "run",
          ...taskPermissions("probe"),
          `${ROOT}probe/cli.ts`,
          "--device",
          base,
          "--size",
          "1000",
          "--rate",
          String(RATE),
          "--duration",
          `${DURATION_S}s`,
          "--delay",
          "1s",
          "--output",
          "json",
        ],
        cwd: ROOT,
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const finished = child.output().then((o) => {
        out = new TextDecoder().decode(o.stdout);
        assert.equal(
          o.code,
          0,
          new TextDecoder().decode(o.stderr) + out,
        );
      });
      return Promise.resolve({
        finished,
        close: async () => {
          try {
            child.kill();
          } catch { /* ended */ }
          await finished.catch(() => {});
        },
      });
    });
    // The client printed the server's record.
    const rec = JSON.parse(out.trim().split("\n").pop()!);
    assert.equal(rec.type, "device");
    assert.equal(rec.id, t.id);
    assert.deepEqual(rec.upload, (t.summary as Summary).upload);
  },
});
