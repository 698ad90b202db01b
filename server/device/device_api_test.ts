// POST /api/device-tests through app.request(): bad input is a 422 naming the
// field and starts nothing; the configured role applies; the device caps
// answer 429; the route and the device fields are in the OpenAPI document.
import assert from "node:assert/strict";
import {
  assertProblem,
  postJson,
  withApiKit,
} from "../../testing/api_testkit.ts";
import { authConfigYaml, bearer } from "../../testing/auth_testkit.ts";
import { datachannelLibrary } from "../../probe/device/ndc_library.ts";

/** A real offer (libdatachannel's), with its candidates. */
async function offer(): Promise<{ sdp: string; close(): void }> {
  const ndc = await datachannelLibrary();
  const pc = new ndc.PeerConnection("offer", {
    iceServers: [],
    disableAutoNegotiation: true,
  });
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
