// Every test that loads libdatachannel (npm:node-datachannel) into the test
// process itself is in this one file: its native addon, once loaded, calls
// into the isolate that loaded it first, and `deno test` gives each file its
// own isolate, so a second file loading it panics the process. Other device
// tests run the service and clients as subprocesses.
//
// POST /api/device-tests through app.request(): bad input is a 422 naming the
// field and starts nothing; the configured role applies; the device caps
// answer 429; the route and the device fields are in the OpenAPI document.
//
// Under abuse, on loopback against the real server: a flood of oversized and
// malformed messages is dropped unanswered and counted exactly (no
// amplification: nothing is echoed), the server keeps serving; a client that
// goes silent and a browser that vanishes mid-test end `interrupted` with
// their data kept.
import assert from "node:assert/strict";
import {
  getJson,
  sleep,
  startServer,
  stopServer,
  waitForTestEnd,
} from "../testing/server_process.ts";
import { assertProblem, postJson, withApiKit } from "../testing/api_testkit.ts";
import { authConfigYaml, bearer } from "../testing/auth_testkit.ts";
import { connectDevicePeer } from "../testing/device_peer.ts";
import {
  closeAllPeers,
  datachannelLibrary,
  trackPeer,
} from "../probe/device/ndc_library.ts";
import { runDeviceClient } from "../probe/device/device_client.ts";
import { encodeProbe } from "../model/device_wire.ts";

/** A real offer (libdatachannel's), with its candidates. */
async function offer(): Promise<{ sdp: string; close(): void }> {
  const ndc = await datachannelLibrary();
  const pc = trackPeer(
    new ndc.PeerConnection("offer", {
      iceServers: [],
      disableAutoNegotiation: true,
    }),
  );
  let done = false;
  pc.onGatheringStateChange((s) => done ||= s === "complete");
  pc.createDataChannel("pla-control");
  pc.setLocalDescription();
  const end = Date.now() + 10_000;
  while (!done && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 5));
  }
  return { sdp: pc.localDescription()!.sdp, close: () => pc.close() };
}

const CASES: [unknown, number, string][] = [
  [{ offer: { type: "offer", sdp: "x".repeat(20) }, size: 8 }, 422, "size"],
  [{ offer: { type: "offer", sdp: "x".repeat(20) }, rate: 301 }, 422, "rate"],
  [
    { offer: { type: "offer", sdp: "x".repeat(20) }, duration_s: 0.5 },
    422,
    "duration_s",
  ],
  [
    { offer: { type: "offer", sdp: "x".repeat(20) }, delay_ms: 2000 },
    422,
    "delay_ms",
  ],
  [
    { offer: { type: "offer", sdp: "x".repeat(20) }, preset: "fax" },
    422,
    "preset",
  ],
  [{ size: 100 }, 422, "offer"],
  [{ offer: { type: "answer", sdp: "x".repeat(20) } }, 422, "offer.type"],
  [{ offer: { type: "offer", sdp: "x".repeat(20) }, colour: 1 }, 422, "colour"],
  [[1, 2], 422, "body"],
  ["{nope", 400, "body"],
  // Well-formed, but no SDP libdatachannel accepts.
  [{ offer: { type: "offer", sdp: "v=0 this is not sdp" } }, 422, "offer"],
];

Deno.test("bad device-test requests: 422 (400 for malformed JSON) naming the field, nothing started", async () => {
  await withApiKit(async ({ app, runner }) => {
    for (const [body, status, field] of CASES) {
      await assertProblem(
        await postJson(app, "/api/device-tests", body),
        status,
        field,
      );
    }
    assert.deepEqual(await runner.list(), []);
  }, { device: true });
});

Deno.test("device_test.role decides who may run one (default operator)", async () => {
  const body = { offer: { type: "offer", sdp: "x" } };
  const ask = (app: import("hono").Hono, role: "viewer" | "operator") =>
    app.request("/api/device-tests", {
      method: "POST",
      body: JSON.stringify(body),
      headers: { "content-type": "application/json", ...bearer(role) },
    });
  await withApiKit(async ({ app }) => {
    const res = await ask(app, "viewer");
    assert.equal(res.status, 403);
    assert.match(
      (await res.json()).detail,
      /operator role \(device_test\.role\)/,
    );
    // An operator gets past the role check (to the body's own 422).
    assert.equal((await ask(app, "operator")).status, 422);
  }, { device: true, configYaml: await authConfigYaml() });
  await withApiKit(async ({ app }) => {
    assert.equal((await ask(app, "viewer")).status, 422);
  }, {
    device: true,
    configYaml: await authConfigYaml("device_test: { role: viewer }\n"),
  });
});

Deno.test("device caps: one per client answers 429; a test whose channels never open ends failed and frees its place", async () => {
  const a = await offer();
  const b = await offer();
  try {
    await withApiKit(async ({ app, runner }) => {
      const first = await postJson(app, "/api/device-tests", {
        offer: { type: "offer", sdp: a.sdp },
        rate: 10,
        duration_s: 5,
      });
      assert.equal(first.status, 201);
      const started = await first.json();
      assert.equal(started.answer.type, "answer");
      assert.match(started.answer.sdp, /a=candidate:/);
      assert.deepEqual(started.settings, {
        size: 160,
        rate: 10,
        duration_s: 5,
        delay_ms: 200,
        warmup_s: 0,
      });
      const meta = await runner.get(started.id);
      assert.equal(meta?.kind, "device");
      assert.equal(meta?.settings.interval_ms, 100);
      const second = await postJson(app, "/api/device-tests", {
        offer: { type: "offer", sdp: b.sdp },
      });
      assert.equal(second.status, 429);
      assert.match((await second.json()).detail, /device_test\.max_per_client/);
      // Nobody answers the answer: after open_s the test fails, saying why.
      await runner.finished(started.id);
      const done = await runner.get(started.id);
      assert.equal(done?.status, "failed");
      assert.match(done!.error!, /no data channel opened within 1 s/);
      const again = await postJson(app, "/api/device-tests", {
        offer: { type: "offer", sdp: b.sdp },
      });
      assert.equal(again.status, 201);
      await runner.stop((await again.json()).id);
    }, {
      device: true,
      configYaml: `servers: [{ id: lo, name: lo, host: 127.0.0.1 }]
auth: { mode: open }
device_test: { max_per_client: 1, open_s: 1 }
`,
    });
  } finally {
    a.close();
    b.close();
  }
});

Deno.test("the OpenAPI document has POST /api/device-tests and the device fields", async () => {
  await withApiKit(async ({ app }) => {
    const doc = await (await app.request("/api/openapi.json")).json();
    const op = doc.paths["/api/device-tests"].post;
    assert.equal(op["x-required-role"], "viewer");
    assert.ok(doc.components.schemas.DeviceTestRequest);
    assert.ok(doc.components.schemas.DeviceSummary);
    assert.ok(doc.components.schemas.TestMeta.properties.kind);
    assert.ok(doc.components.schemas.TestMeta.properties.device);
  }, { device: true });
});
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
    // This file's peers end before its isolate does (see closeAllPeers).
    await closeAllPeers();
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
