// Authentication and roles over the real app (real engine on loopback, KV in memory).
import assert from "node:assert/strict";
import {
  assertProblem,
  postJson,
  quickTest,
  withApiKit,
} from "../../testing/api_testkit.ts";
import {
  authConfigYaml,
  bearer,
  from,
  PROXY_ADDRESS,
  USERS,
} from "../../testing/auth_testkit.ts";
import { requiredRole, safeNext } from "./auth.ts";
import { parseConfig } from "../config/config.ts";

const START = {
  targets: ["localhost-v4"],
  count: 1,
  interval_ms: 10,
  timeout_ms: 200,
};
const json = (headers: Record<string, string>) => ({
  ...headers,
  "content-type": "application/json",
});

Deno.test("auth required: no credential is 401 with WWW-Authenticate: Bearer, pages redirect to /login", async () => {
  await withApiKit(async ({ app, runner }) => {
    for (
      const [method, path] of [
        ["GET", "/api/tests"],
        ["GET", "/api/servers"],
        ["GET", "/api/audit"],
        ["POST", "/api/tests"],
        ["GET", "/servers"],
        ["POST", "/start_test"],
        ["GET", "/metrics"],
        ["GET", "/no/such/route"],
      ]
    ) {
      const res = await app.request(path, {
        method,
        ...(method === "POST" ? { body: JSON.stringify(START) } : {}),
      });
      assert.equal(res.status, 401, `${method} ${path}`);
      assert.match(res.headers.get("www-authenticate")!, /^Bearer /);
      assert.equal(res.headers.get("content-type"), "application/problem+json");
      assert.match((await res.json()).detail, /authentication required/);
    }
    assert.deepEqual(await runner.list(), []);
    const page = await app.request("/tests/abc?x=1", {
      headers: { accept: "text/html,application/xhtml+xml" },
    });
    assert.equal(page.status, 303);
    assert.equal(
      page.headers.get("location"),
      `/login?next=${encodeURIComponent("/tests/abc?x=1")}`,
    );
    // Public: health, the login form, static files (404 here, but not 401).
    assert.equal((await app.request("/healthz")).status, 200);
    assert.equal((await app.request("/login")).status, 200);
    assert.equal((await app.request("/static/none.css")).status, 404);
  }, { configYaml: await authConfigYaml() });
});

Deno.test("tokens: unknown or malformed is 401; roles viewer < operator < admin", async () => {
  await withApiKit(async ({ app, runner, audit }) => {
    const bad = await app.request("/api/tests", {
      headers: { authorization: "Bearer pla_notavalidtoken" },
    });
    assert.equal(bad.status, 401);
    assert.match(bad.headers.get("www-authenticate")!, /invalid_token/);
    const basic = await app.request("/api/tests", {
      headers: { authorization: "Basic YTpi" },
    });
    assert.equal(basic.status, 401);
    assert.match((await basic.json()).detail, /Bearer <token>/);

    // viewer: reads, no start, stop, delete or audit.
    assert.equal(
      (await app.request("/api/tests", { headers: bearer("viewer") })).status,
      200,
    );
    for (const path of ["/api/tests", "/start_test"]) {
      const res = await app.request(path, {
        method: "POST",
        body: JSON.stringify(START),
        headers: json(bearer("viewer")),
      });
      assert.equal(res.status, 403, path);
      assert.match(
        (await res.json()).detail,
        /needs the operator role; vic is viewer/,
      );
    }
    assert.deepEqual(await runner.list(), []);
    assert.equal(
      (await app.request("/api/audit", { headers: bearer("viewer") })).status,
      403,
    );

    // operator: starts (audited under the token's user), cannot delete.
    const res = await app.request("/api/tests", {
      method: "POST",
      body: JSON.stringify(START),
      headers: json(bearer("operator")),
    });
    assert.equal(res.status, 201);
    const { id, created_by } = await res.json();
    assert.equal(created_by, USERS.operator);
    await runner.finished(id);
    const del = await app.request(`/api/tests/${id}`, {
      method: "DELETE",
      headers: bearer("operator"),
    });
    assert.equal(del.status, 403);
    assert.equal(
      (await app.request(`/api/tests/${id}/export`, {
        headers: bearer("viewer"),
      }))
        .status,
      200,
    );
    assert.equal(
      (await app.request("/api/audit", { headers: bearer("operator") })).status,
      403,
    );

    // admin: deletes and reads the audit trail, which names each user.
    assert.equal(
      (await app.request(`/api/tests/${id}`, {
        method: "DELETE",
        headers: bearer("admin"),
      })).status,
      204,
    );
    const trail = await app.request("/api/audit", { headers: bearer("admin") });
    assert.equal(trail.status, 200);
    const entries = (await trail.json()).entries as {
      action: string;
      who: string;
    }[];
    assert.deepEqual(entries.map((e) => [e.action, e.who]), [
      ["delete", USERS.admin],
      ["export", USERS.viewer],
      ["start", USERS.operator],
    ]);
    assert.equal((await audit.list(10)).entries.length, 3);
    const me = await app.request("/api/me", { headers: bearer("operator") });
    assert.deepEqual(await me.json(), {
      name: USERS.operator,
      role: "operator",
      via: "token",
      auth: "required",
    });
  }, { configYaml: await authConfigYaml() });
});

Deno.test("proxy sign-on: the header counts only from a trusted proxy address", async () => {
  await withApiKit(async ({ app }) => {
    const hdr = { "x-forwarded-user": USERS.admin };
    const trusted = await app.request(
      "/api/me",
      { headers: hdr },
      from(PROXY_ADDRESS),
    );
    assert.equal(trusted.status, 200);
    assert.deepEqual(await trusted.json(), {
      name: USERS.admin,
      role: "admin",
      via: "proxy",
      auth: "required",
    });
    // An unknown proxy user gets the default role.
    const stranger = await app.request(
      "/api/audit",
      { headers: { "x-forwarded-user": "zoe" } },
      from(PROXY_ADDRESS),
    );
    assert.equal(stranger.status, 403);
    assert.match((await stranger.json()).detail, /zoe is viewer/);
    // Anyone else setting the header is not signed in.
    const spoofed = await app.request(
      "/api/me",
      { headers: hdr },
      from("192.0.2.11"),
    );
    assert.equal(spoofed.status, 401);
    const hostile = await app.request(
      "/api/me",
      { headers: { "x-forwarded-user": "a b\u00e9<script>" } },
      from(PROXY_ADDRESS),
    );
    assert.equal(hostile.status, 401);
    assert.match(
      (await hostile.json()).detail,
      /X-Forwarded-User: not a valid user name/,
    );
  }, { configYaml: await authConfigYaml() });
});

Deno.test("open mode: anonymous admin, audit says anonymous", async () => {
  await withApiKit(async (kit) => {
    const id = await quickTest(kit);
    const res = await kit.app.request("/api/me");
    assert.deepEqual(await res.json(), {
      name: "anonymous",
      role: "admin",
      via: "open",
      auth: "open",
    });
    const page = await kit.app.request("/api/audit");
    assert.equal((await page.json()).entries[0].who, "anonymous");
    assert.ok(id);
  });
});

Deno.test("auth is required unless the config says open explicitly", () => {
  const servers = "servers: [{id: a, name: A, host: 127.0.0.1}]\n";
  assert.throws(
    () => parseConfig(servers, "c.yaml"),
    /c\.yaml: auth\.mode: authentication is required, but no user has a password_hash/,
  );
  assert.equal(parseConfig(servers + "auth: {mode: open}\n").auth.mode, "open");
  assert.throws(
    () =>
      parseConfig(
        servers +
          "auth: {tokens: [{name: t, role: admin, sha256: pla_plaintext}]}\n",
        "t.yaml",
      ),
    /t\.yaml: auth\.tokens\.0\.sha256: must be the token's SHA-256/,
  );
  assert.throws(
    () =>
      parseConfig(
        servers + "auth: {users: [{name: a, role: root, password_hash: x}]}\n",
        "u.yaml",
      ),
    /u\.yaml: auth\.users\.0\.role: .*\n.*auth\.users\.0\.password_hash: not a hash/,
  );
  const weak = "pbkdf2-sha256$1000$AAAAAAAAAAAAAAAAAAAAAA==$" + "A".repeat(43) +
    "=";
  assert.throws(
    () =>
      parseConfig(
        servers +
          `auth: {users: [{name: a, role: admin, password_hash: "${weak}"}]}\n`,
      ),
    /at least 100000 iterations/,
  );
});

Deno.test("requiredRole and safeNext", () => {
  assert.equal(requiredRole("GET", "/api/tests"), "viewer");
  assert.equal(requiredRole("GET", "/api/audit"), "admin");
  assert.equal(requiredRole("POST", "/api/tests"), "operator");
  assert.equal(requiredRole("POST", "/api/tests/x/stop"), "operator");
  assert.equal(requiredRole("DELETE", "/api/tests/x"), "admin");
  assert.equal(requiredRole("PUT", "/api/tests/x"), "admin");
  assert.equal(requiredRole("POST", "/logout"), "viewer");
  assert.equal(safeNext("/tests/1?a=b"), "/tests/1?a=b");
  for (
    const bad of [
      "//evil.example/x",
      "/\\evil.example",
      "https://evil.example/",
      "javascript:alert(1)",
      "/login",
      "/a\nb",
      "x".repeat(3000),
      undefined,
      42,
    ]
  ) assert.equal(safeNext(bad), "/", String(bad));
});

Deno.test("seed alias POST /start_test checks the same role and limits", async () => {
  await withApiKit(async ({ app }) => {
    const res = await postJson(app, "/start_test", { ...START, size: 9000 });
    assert.equal(res.status, 401);
    await res.body?.cancel();
    const big = await app.request("/start_test", {
      method: "POST",
      body: JSON.stringify({ ...START, size: 9000 }),
      headers: json(bearer("operator")),
    });
    await assertProblem(big, 422, "size");
  }, { configYaml: await authConfigYaml() });
});
