// One client address for the audit trail, the event-stream limit and the
// sign-in limiter: behind a trusted proxy all three see the forwarded client;
// from any other peer X-Forwarded-For is ignored by all three.
import assert from "node:assert/strict";
import { peerAddress, TrustedProxies } from "./client_address.ts";
import { withApiKit } from "../../testing/api_testkit.ts";
import {
  authConfigYaml,
  from,
  PASSWORD,
  PROXY_ADDRESS,
  USERS,
} from "../../testing/auth_testkit.ts";

const xff = (client: string) => ({ "x-forwarded-for": client });

Deno.test("peerAddress reads Deno.serve's remoteAddr", () => {
  assert.equal(
    peerAddress({ remoteAddr: { transport: "tcp", hostname: "::1", port: 5 } }),
    "::1",
  );
  assert.equal(peerAddress(undefined), "unknown");
  assert.equal(peerAddress({}), "unknown");
});

Deno.test("TrustedProxies: the last X-Forwarded-For entry from a trusted peer only", () => {
  const p = new TrustedProxies(["192.0.2.0/28", "fd00::1"]);
  const req = (v?: string) =>
    new Request("http://x/", { headers: v ? xff(v) : {} });
  assert.equal(
    p.clientOf(req("203.0.113.9, 198.51.100.1"), "192.0.2.10"),
    "198.51.100.1",
  );
  assert.equal(p.clientOf(req("2001:db8::7"), "fd00::1"), "2001:db8::7");
  // Not an address, absent, or from an untrusted peer: the peer.
  assert.equal(
    p.clientOf(req("198.51.100.1, evil"), "192.0.2.10"),
    "192.0.2.10",
  );
  assert.equal(p.clientOf(req(), "192.0.2.10"), "192.0.2.10");
  assert.equal(p.clientOf(req("198.51.100.1"), "192.0.2.16"), "192.0.2.16");
  assert.equal(p.clientOf(req("198.51.100.1"), "unknown"), "unknown");
  assert.equal(
    new TrustedProxies().clientOf(req("198.51.100.1"), "::1"),
    "::1",
  );
});

const OPEN_BEHIND_PROXY = `
servers: [{ id: localhost-v4, name: L4, host: 127.0.0.1 }]
auth:
  mode: open
  proxy: { header: X-Forwarded-User, trusted: [${PROXY_ADDRESS}/32] }
limits: { max_sse_per_client: 1 }
`;

Deno.test("audit trail and event-stream limit: the forwarded client behind the trusted proxy, the peer otherwise", async () => {
  await withApiKit(async ({ app, runner, audit }) => {
    const start = (peer: string, client: string) =>
      app.request("/api/tests", {
        method: "POST",
        body: JSON.stringify({
          targets: ["localhost-v4"],
          interval_ms: 100,
          duration_s: 30,
          timeout_ms: 200,
        }),
        headers: { "content-type": "application/json", ...xff(client) },
      }, from(peer));
    const viaProxy = await start(PROXY_ADDRESS, "198.51.100.1");
    assert.equal(viaProxy.status, 201);
    const { id } = await viaProxy.json();
    const direct = await start("203.0.113.5", "198.51.100.1");
    assert.equal(direct.status, 201);
    const other = (await direct.json()).id;
    await runner.stop(other);
    const froms = (await audit.list(10)).entries.map((e) => e.from);
    assert.deepEqual(froms, ["203.0.113.5", "198.51.100.1"]);

    const events = (peer: string, client: string) =>
      app.request(
        `/api/tests/${id}/events`,
        { headers: xff(client) },
        from(peer),
      );
    // Behind the proxy: one stream per forwarded client.
    const a = await events(PROXY_ADDRESS, "198.51.100.1");
    const b = await events(PROXY_ADDRESS, "198.51.100.2");
    const a2 = await events(PROXY_ADDRESS, "198.51.100.1");
    assert.deepEqual([a.status, b.status, a2.status], [200, 200, 429]);
    // From an untrusted peer a new X-Forwarded-For is no new client.
    const c = await events("203.0.113.5", "198.51.100.3");
    const c2 = await events("203.0.113.5", "198.51.100.4");
    assert.deepEqual([c.status, c2.status], [200, 429]);
    for (const r of [a2, c2]) await r.body?.cancel();
    await runner.stop(id);
    await runner.finished(id);
    for (const r of [a, b, c]) await r.body?.cancel();
  }, { configYaml: OPEN_BEHIND_PROXY });
});

Deno.test("sign-in limiter: the forwarded client behind the trusted proxy, the peer otherwise", async () => {
  await withApiKit(async ({ app }) => {
    const signIn = (
      peer: string,
      client: string,
      user: string,
      password: string,
    ) =>
      app.request("/login", {
        method: "POST",
        body: new URLSearchParams({ username: user, password }).toString(),
        headers: {
          origin: "http://localhost",
          "content-type": "application/x-www-form-urlencoded",
          ...xff(client),
        },
      }, from(peer));
    // Five failures of one address (each for another user name, so only the
    // address counts up).
    const fail = async (peer: string, client: string) => {
      for (let i = 0; i < 5; i++) {
        const r = await signIn(peer, client, `nobody${peer}${i}`, "wrong");
        assert.equal(r.status, 401);
        await r.body?.cancel();
      }
    };
    await fail(PROXY_ADDRESS, "198.51.100.1");
    const blocked = await signIn(
      PROXY_ADDRESS,
      "198.51.100.1",
      USERS.viewer,
      PASSWORD,
    );
    assert.equal(blocked.status, 429);
    await blocked.body?.cancel();
    const otherClient = await signIn(
      PROXY_ADDRESS,
      "198.51.100.2",
      USERS.viewer,
      PASSWORD,
    );
    assert.equal(otherClient.status, 303);

    await fail("203.0.113.5", "198.51.100.3");
    // X-Forwarded-For from an untrusted peer changes nothing: still blocked.
    const spoofed = await signIn(
      "203.0.113.5",
      "198.51.100.4",
      USERS.operator,
      PASSWORD,
    );
    assert.equal(spoofed.status, 429);
    await spoofed.body?.cancel();
  }, { configYaml: await authConfigYaml() });
});
