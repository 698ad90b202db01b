// Device tests under abuse, on loopback against the real server: a flood of
// oversized and malformed messages is dropped unanswered and counted exactly
// (no amplification: nothing is echoed), the server keeps serving; a client
// that goes silent and a browser that vanishes mid-test end `interrupted`
// with their data kept.
import assert from "node:assert/strict";
import {
  getJson,
  sleep,
  startServer,
  stopServer,
  waitForTestEnd,
} from "../testing/server_process.ts";
import { connectDevicePeer } from "../testing/device_peer.ts";
import { runDeviceClient } from "../probe/device/device_client.ts";
import { encodeProbe } from "../model/device_wire.ts";
import { launchBrowser, noBrowser } from "../testing/browser_kit.ts";

async function withServer(
  fn: (base: string) => Promise<void>,
  config = "device_test: { idle_s: 2 }\n",
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "pla-device-abuse-" });
  const server = await startServer({
    dir,
    config: `servers:\n  - { id: lo, name: lo, host: 127.0.0.1 }\n${config}`,
  });
  try {
    await fn(server.base);
  } finally {
    await stopServer(server);
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("a flood of oversized and malformed messages is dropped, counted exactly, never echoed; the server keeps serving", async () => {
  await withServer(async (base) => {
    const peer = await connectDevicePeer(base, {
      size: 100,
      rate: 50,
      duration_s: 30,
    }, { reliableProbes: true });
    const big = new Uint8Array(5000);
    big.set(encodeProbe(0, Date.now(), 100));
    let sent = 0;
    for (let i = 0; i < 300; i++) {
      peer.probes.sendMessageBinary(big);
      sent++;
      if (i % 50 === 49) await peer.drain(peer.probes);
    }
    for (let i = 0; i < 100; i++, sent++) peer.probes.sendMessage("hello?");
    // The right size, not a version-1 probe.
    const wrong = new Uint8Array(100).fill(0xff);
    for (let i = 0; i < 20; i++, sent++) peer.probes.sendMessageBinary(wrong);
    for (let i = 0; i < 50; i++, sent++) {
      peer.control.sendMessage(
        i % 2
          ? "{not json"
          : JSON.stringify({ t: "results", packets: [[9e9]] }),
      );
    }
    // A message far above any control message is dropped unread.
    peer.control.sendMessage("x".repeat(20_000));
    sent++;
    // The two channels are separate SCTP streams: wait until the server has
    // them all before the stop (on the control channel) can overtake them.
    const dropped = async () =>
      Number(
        /^pla_device_dropped_messages_total (\d+)$/m.exec(
          await (await fetch(`${base}/metrics`)).text(),
        )?.[1],
      );
    const deadline = Date.now() + 15_000;
    while (await dropped() < sent && Date.now() < deadline) await sleep(50);
    peer.control.sendMessage(JSON.stringify({ t: "stop" }));
    const t = await waitForTestEnd(base, peer.id, 15_000, { everyMs: 50 });
    assert.equal(t.status, "stopped");
    const s = t.summary as { dropped_messages: number };
    assert.equal(s.dropped_messages, sent);
    assert.equal(peer.echoes.length, 0, "nothing was echoed");
    peer.close();
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(
      metrics,
      new RegExp(`^pla_device_dropped_messages_total ${sent}$`, "m"),
    );
    // Still serving: a proper test right after completes without loss.
    const ok = await runDeviceClient({
      server: base,
      request: { size: 200, rate: 100, duration_s: 2 },
    });
    assert.equal(ok.status, "completed");
    assert.equal(ok.summary?.upload.received, 200);
    assert.equal(ok.summary?.download.received, 200);
    assert.equal(ok.summary?.dropped_messages, 0);
    assert.equal((await getJson(`${base}/healthz`)).status_code, 200);
  });
});

Deno.test("a client that leaves mid-test (closes its connection): the test ends interrupted, its data kept", async () => {
  await withServer(async (base) => {
    const r = await runDeviceClient({
      server: base,
      request: { size: 64, rate: 50, duration_s: 20 },
      vanishAfter: 60,
    });
    // The client closed its connection without `done`.
    assert.equal(r.status, "interrupted");
    const t = await getJson(`${base}/api/tests/${r.id}`);
    assert.match(String(t.error), /went away|closed|silent/);
    const s = t.summary as { upload: { sent: number; received: number } };
    assert.ok(s.upload.sent >= 40, `kept ${s.upload.sent} settled probes`);
    const samples = await getJson(`${base}/api/tests/${r.id}/samples`);
    assert.equal((samples.probes as unknown[]).length, s.upload.sent);
  });
});

Deno.test("a client that goes silent (connection left open): interrupted after device_test.idle_s", async () => {
  await withServer(async (base) => {
    const peer = await connectDevicePeer(base, {
      size: 64,
      rate: 50,
      duration_s: 30,
    });
    for (let seq = 0; seq < 10; seq++) {
      peer.probes.sendMessageBinary(encodeProbe(seq, Date.now(), 64));
    }
    peer.control.sendMessage(JSON.stringify({
      t: "results",
      packets: Array.from({ length: 10 }, (_, i) => [i, -1]),
    }));
    const t = await waitForTestEnd(base, peer.id, 15_000, { everyMs: 100 });
    peer.close();
    assert.equal(t.status, "interrupted");
    assert.match(String(t.error), /silent for 2 s/);
    const s = t.summary as {
      upload: { sent: number; received: number };
      download: { echoed: number; lost: number };
    };
    // The client said no echo came back: lost on the way down, by the server's count.
    assert.equal(s.upload.sent, 10);
    assert.equal(s.upload.received, 10);
    assert.equal(s.download.lost, 10);
  });
});

Deno.test({
  name:
    "a browser that vanishes mid-test: the test ends interrupted, its data kept",
  ignore: noBrowser,
  async fn() {
    await withServer(async (base) => {
      const browser = await launchBrowser();
      let id = "";
      try {
        const page = await browser.newPage();
        await page.goto(`${base}/device`);
        await page.fill("input[name=rate]", "50");
        await page.fill("input[name=duration_s]", "60");
        await page.click("[data-testid=device-start]");
        await page.waitForSelector("[data-testid=device-link]");
        id = (await page.getAttribute("[data-testid=device-link]", "href"))!
          .split("/").pop()!;
        await page.waitForFunction(
          () =>
            Number(
              document.querySelector("[data-testid=device-chart-rtt]")
                ?.getAttribute("data-points"),
            ) >= 50,
          null,
          { timeout: 20_000 },
        );
      } finally {
        await browser.close();
      }
      const t = await waitForTestEnd(base, id, 15_000, { everyMs: 100 });
      assert.equal(t.status, "interrupted");
      const s = t.summary as { upload: { sent: number } };
      assert.ok(s.upload.sent >= 50, `kept ${s.upload.sent}`);
    });
  },
});
