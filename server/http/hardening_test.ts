// Security headers on every response, CORS closed, the body size limit, and
// the cap on event streams per client.
import assert from "node:assert/strict";
import { createApp } from "../app.ts";
import { postJson, withApiKit } from "../../testing/api_testkit.ts";
import { authConfigYaml, bearer, from } from "../../testing/auth_testkit.ts";
import { MAX_BODY_BYTES } from "./body_limit.ts";
import { SECURITY_HEADERS } from "./security_headers.ts";

function assertSecure(res: Response, what: string) {
  const csp = res.headers.get("content-security-policy") ?? "";
  for (
    const d of [
      "default-src 'self'",
      "script-src 'self'",
      "object-src 'none'",
      "base-uri 'none'",
      "frame-ancestors 'none'",
      "form-action 'self'",
    ]
  ) assert.ok(csp.split("; ").includes(d), `${what}: CSP has ${d}`);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, what);
  assert.equal(res.headers.get("x-content-type-options"), "nosniff", what);
  assert.equal(res.headers.get("referrer-policy"), "no-referrer", what);
  assert.equal(res.headers.get("x-frame-options"), "DENY", what);
  assert.equal(
    res.headers.get("cross-origin-opener-policy"),
    "same-origin",
    what,
  );
  assert.equal(res.headers.get("access-control-allow-origin"), null, what);
}

Deno.test("security headers on every kind of response; no CORS", async () => {
  await withApiKit(async (kit) => {
    const { app, runner } = kit;
    const origin = { origin: "https://evil.example" };
    const started = await postJson(app, "/api/tests", {
      targets: ["localhost-v4"],
      count: 2,
      interval_ms: 10,
      timeout_ms: 200,
    });
    assertSecure(started, "201");
    const { id } = await started.json();
    await runner.finished(id);
    const responses: [string, Response][] = [
      ["healthz", await app.request("/healthz", { headers: origin })],
      ["api", await app.request("/api/tests", { headers: origin })],
      ["404", await app.request("/nope")],
      ["422", await postJson(app, "/api/tests", { targets: [] })],
      [
        "sse",
        await app.request(`/api/tests/${id}/events`, { headers: origin }),
      ],
      ["alias", await app.request(`/results/${id}`)],
      ["login", await app.request("/login")],
      ["export", await app.request(`/api/tests/${id}/export`)],
    ];
    for (const [what, res] of responses) {
      assertSecure(res, what);
      await res.body?.cancel();
    }
    // Preflight is refused and allows nothing.
    const pre = await app.request("/api/tests", {
      method: "OPTIONS",
      headers: {
        ...origin,
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type",
      },
    });
    assert.equal(pre.status, 405);
    assertSecure(pre, "preflight");
    for (const h of pre.headers.keys()) {
      assert.ok(!h.startsWith("access-control-"), h);
    }
    assert.match((await pre.json()).detail, /CORS is closed/);
  });
  // Without the API (only /healthz) and with auth required: still there.
  const bare = createApp({ icmpStatus: () => ({ ipv4: "raw", ipv6: "raw" }) });
  assertSecure(await bare.request("/healthz"), "bare healthz");
  await withApiKit(async ({ app }) => {
    assertSecure(await app.request("/api/tests"), "401");
    assertSecure(
      await app.request("/api/audit", { headers: bearer("viewer") }),
      "403",
    );
  }, { configYaml: await authConfigYaml() });
  assert.equal(Object.keys(SECURITY_HEADERS).length >= 5, true);
});

Deno.test("bodies over the limit are 413 problem+json and change nothing", async () => {
  await withApiKit(async ({ app, runner }) => {
    const huge = JSON.stringify({
      targets: ["localhost-v4"],
      count: 1,
      pad: "x".repeat(MAX_BODY_BYTES),
    });
    const res = await postJson(app, "/api/tests", huge);
    assert.equal(res.status, 413);
    assert.equal(res.headers.get("content-type"), "application/problem+json");
    assert.match((await res.json()).detail, /body: larger than 65536 bytes/);
    // Streamed without a Content-Length: counted as it arrives.
    const chunks = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < 80; i++) c.enqueue(new Uint8Array(1024).fill(32));
        c.close();
      },
    });
    const streamed = await app.request("/start_test", {
      method: "POST",
      body: chunks,
      headers: { "content-type": "application/json" },
      // @ts-ignore: Deno needs duplex for a stream body
      duplex: "half",
    });
    assert.equal(streamed.status, 413);
    await streamed.body?.cancel();
    assert.deepEqual(await runner.list(), []);
  });
});

const SSE_CONFIG = `
servers: [{ id: localhost-v4, name: L4, host: 127.0.0.1 }]
auth: { mode: open }
limits: { max_sse_per_client: 2 }
`;

Deno.test("event streams per client are capped (429, Retry-After); a closed one frees its slot", async () => {
  await withApiKit(async ({ app, runner }) => {
    const res = await postJson(app, "/api/tests", {
      targets: ["localhost-v4"],
      interval_ms: 100,
      duration_s: 30,
      timeout_ms: 200,
    });
    const { id } = await res.json();
    const open = (addr: string, path = `/api/tests/${id}/events`) =>
      app.request(path, {}, from(addr));
    const a = await open("10.0.0.1");
    const b = await open("10.0.0.1", `/live/${id}`);
    assert.equal(a.status, 200);
    assert.equal(b.status, 200);
    const c = await open("10.0.0.1");
    assert.equal(c.status, 429);
    assert.equal(c.headers.get("retry-after"), "5");
    assert.match((await c.json()).detail, /limits\.max_sse_per_client/);
    // Another client is not affected; errors do not take a slot.
    const other = await open("10.0.0.2");
    assert.equal(other.status, 200);
    for (let i = 0; i < 3; i++) {
      const e = await app.request(
        "/api/tests/nope/events",
        {},
        from("10.0.0.2"),
      );
      assert.equal(e.status, 404);
      await e.body?.cancel();
    }
    // Closing a stream gives its slot back.
    await a.body!.cancel();
    const d = await open("10.0.0.1");
    assert.equal(d.status, 200);
    await runner.stop(id);
    await runner.finished(id);
    // Streams read to their end release too.
    for (const r of [b, d, other]) await r.text();
    const again = [await open("10.0.0.1"), await open("10.0.0.1")];
    assert.deepEqual(again.map((r) => r.status), [200, 200]);
    for (const r of again) await r.text();
  }, { configYaml: SSE_CONFIG });
});
