// The sign-in form, the session cookie, CSRF refusal, sign-in rate limit, logout.
import assert from "node:assert/strict";
import type { Hono } from "hono";
import { withApiKit } from "../../testing/api_testkit.ts";
import {
  authConfigYaml,
  from,
  PASSWORD,
  PROXY_ADDRESS,
  USERS,
} from "../../testing/auth_testkit.ts";
import { secureCookie } from "./login.ts";
import { MemorySessionStore } from "./session_store.ts";
import { LoginLimiter } from "./login_limiter.ts";

const ORIGIN = { origin: "http://localhost" };

function form(
  fields: Record<string, string>,
  headers: Record<string, string> = ORIGIN,
) {
  return {
    method: "POST",
    body: new URLSearchParams(fields).toString(),
    headers: {
      ...headers,
      "content-type": "application/x-www-form-urlencoded",
    },
  };
}

/** Signs in; returns the Cookie header value. */
async function signIn(app: Hono, user: string) {
  const res = await app.request(
    "/login",
    form({ username: user, password: PASSWORD, next: "/tests?x=1" }),
  );
  assert.equal(res.status, 303, await res.clone().text());
  assert.equal(res.headers.get("location"), "/tests?x=1");
  return res.headers.get("set-cookie")!.split(";")[0];
}

Deno.test("GET /login: a form without inline script or style", async () => {
  await withApiKit(async ({ app }) => {
    const res = await app.request("/login?next=%2Ftests");
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type")!, /^text\/html/);
    const html = await res.text();
    assert.match(html, /^<!DOCTYPE html>/);
    assert.match(html, /<form method="post" action="\/login"/);
    assert.match(html, /name="next" value="\/tests"/);
    assert.doesNotMatch(html, /<script|\sstyle=|\son\w+=/i);
    const evil = await (await app.request("/login?next=//evil.example")).text();
    assert.match(evil, /name="next" value="\/"/);
  }, { configYaml: await authConfigYaml() });
});

Deno.test("sign-in: cookie attributes, the cookie authenticates, logout ends it", async () => {
  await withApiKit(async ({ app }) => {
    const res = await app.request(
      "/login",
      form({
        username: USERS.operator,
        password: PASSWORD,
        next: "//evil.example",
      }),
    );
    assert.equal(res.status, 303);
    assert.equal(res.headers.get("location"), "/");
    const set = res.headers.get("set-cookie")!;
    assert.match(set, /^pla_session=[A-Za-z0-9_-]{43};/);
    for (
      const attr of [
        "HttpOnly",
        "SameSite=Strict",
        "Path=/",
        "Secure",
        "Max-Age=43200",
      ]
    ) {
      assert.ok(set.split("; ").includes(attr), `${attr} in ${set}`);
    }
    const cookie = set.split(";")[0];
    const me = await app.request("/api/me", { headers: { cookie } });
    assert.deepEqual(await me.json(), {
      name: USERS.operator,
      role: "operator",
      via: "session",
      auth: "required",
    });
    // Signed in, /login goes straight on.
    const again = await app.request("/login?next=/x", { headers: { cookie } });
    assert.equal(again.headers.get("location"), "/x");
    const out = await app.request("/logout", {
      method: "POST",
      headers: { cookie, ...ORIGIN },
    });
    assert.equal(out.status, 303);
    assert.match(out.headers.get("set-cookie")!, /^pla_session=; .*Max-Age=0/);
    assert.equal(
      (await app.request("/api/me", { headers: { cookie } })).status,
      401,
    );
  }, { configYaml: await authConfigYaml() });
});

Deno.test("wrong password is 401 on the form; nothing is set", async () => {
  await withApiKit(async ({ app }) => {
    for (
      const fields of [
        { username: USERS.admin, password: "nope" },
        { username: "nobody", password: PASSWORD },
        { username: USERS.admin },
        { username: "x".repeat(65), password: PASSWORD },
      ] as Record<string, string>[]
    ) {
      const res = await app.request("/login", form(fields));
      assert.equal(res.status, 401, JSON.stringify(fields));
      assert.equal(res.headers.get("set-cookie"), null);
      assert.match(await res.text(), /class="error"/);
    }
  }, { configYaml: await authConfigYaml() });
});

Deno.test("failed sign-ins are rate limited per address and user (429, Retry-After)", async () => {
  await withApiKit(async ({ app }) => {
    const env = from("198.51.100.7");
    for (let i = 0; i < 5; i++) {
      const res = await app.request(
        "/login",
        form({ username: USERS.admin, password: `guess${i}` }),
        env,
      );
      assert.equal(res.status, 401);
      await res.body?.cancel();
    }
    // Even the right password is refused now.
    const res = await app.request(
      "/login",
      form({ username: USERS.admin, password: PASSWORD }),
      env,
    );
    assert.equal(res.status, 429);
    assert.ok(Number(res.headers.get("retry-after")) > 0);
    assert.equal(res.headers.get("set-cookie"), null);
    assert.match(await res.text(), /Too many failed sign-ins/);
  }, { configYaml: await authConfigYaml() });
  // Behind the trusted proxy, X-Forwarded-For tells clients apart.
  await withApiKit(async ({ app }) => {
    const viaProxy = (client: string, password: string) =>
      app.request(
        "/login",
        form({ username: USERS.admin, password }, {
          ...ORIGIN,
          "x-forwarded-for": `203.0.113.9, ${client}`,
        }),
        from(PROXY_ADDRESS),
      );
    for (let i = 0; i < 5; i++) {
      await (await viaProxy("198.51.100.1", `guess${i}`)).body?.cancel();
    }
    // The user name is blocked for everyone; another user is not.
    assert.equal((await viaProxy("198.51.100.2", PASSWORD)).status, 429);
    const other = await app.request(
      "/login",
      form({ username: USERS.viewer, password: PASSWORD }, {
        ...ORIGIN,
        "x-forwarded-for": "198.51.100.2",
      }),
      from(PROXY_ADDRESS),
    );
    assert.equal(other.status, 303);
  }, { configYaml: await authConfigYaml() });
  const t = { now: 0 };
  const lim = new LoginLimiter(2, 1000, () => t.now);
  lim.fail(["k"]);
  lim.fail(["k"]);
  assert.equal(lim.retryAfter(["k"]), 1);
  t.now = 1001;
  assert.equal(lim.retryAfter(["k"]), 0);
  // Bounded: past maxKeys the oldest keys go, the latest failures stay.
  const small = new LoginLimiter(2, 60_000, () => t.now, 3);
  for (let i = 0; i < 10; i++) small.fail([`noise${i}`]);
  small.fail(["victim"]);
  small.fail(["victim"]);
  assert.equal(small.size, 3);
  assert.ok(small.retryAfter(["victim"]) > 0);
});

Deno.test("CSRF: cookie-authenticated unsafe requests need a same-origin Origin or Sec-Fetch-Site", async () => {
  await withApiKit(async ({ app, runner }) => {
    const cookie = await signIn(app, USERS.admin);
    const body = JSON.stringify({
      targets: ["localhost-v4"],
      count: 1,
      interval_ms: 10,
    });
    const post = (headers: Record<string, string>) =>
      app.request("/api/tests", {
        method: "POST",
        body,
        headers: { cookie, "content-type": "application/json", ...headers },
      });
    for (
      const headers of [
        {},
        { origin: "https://evil.example" },
        { origin: "null" },
        { "sec-fetch-site": "cross-site" },
        { "sec-fetch-site": "same-site", origin: "http://localhost" },
      ] as Record<string, string>[]
    ) {
      const res = await post(headers);
      assert.equal(res.status, 403, JSON.stringify(headers));
      assert.match((await res.json()).detail, /refused|must carry/);
    }
    // Login CSRF too.
    const forged = await app.request(
      "/login",
      form({ username: USERS.admin, password: PASSWORD }, {
        origin: "https://evil.example",
      }),
    );
    assert.equal(forged.status, 403);
    assert.deepEqual(await runner.list(), []);
    const ok = await post({ "sec-fetch-site": "same-origin", ...ORIGIN });
    assert.equal(ok.status, 201);
    await runner.finished((await ok.json()).id);
  }, { configYaml: await authConfigYaml() });
});

Deno.test("open mode: a cross-site POST is refused too", async () => {
  await withApiKit(async ({ app, runner }) => {
    const res = await app.request("/api/tests", {
      method: "POST",
      body: JSON.stringify({ targets: ["localhost-v4"], count: 1 }),
      headers: { "content-type": "text/plain", origin: "https://evil.example" },
    });
    assert.equal(res.status, 403);
    assert.deepEqual(await runner.list(), []);
  });
});

Deno.test("sessions expire; the store is bounded", async () => {
  const t = { now: 0 };
  const s = new MemorySessionStore(1000, 2, () => t.now);
  const p = { name: "a", role: "viewer" as const, via: "session" as const };
  const a = await s.create(p);
  assert.equal((await s.get(a))?.name, "a");
  t.now = 1000;
  assert.equal(await s.get(a), null);
  const b = await s.create(p), c = await s.create(p), d = await s.create(p);
  assert.equal(s.size, 2);
  assert.equal(await s.get(b), null);
  assert.ok(await s.get(c) && await s.get(d));
  await s.delete(c);
  assert.equal(await s.get(c), null);
});

Deno.test("Secure cookie: https, loopback hosts, or the config says so", () => {
  const req = (url: string, h: Record<string, string> = {}) =>
    new Request(url, { headers: h });
  assert.equal(secureCookie(req("https://pla.lan/"), "auto"), true);
  assert.equal(secureCookie(req("http://localhost:8080/"), "auto"), true);
  assert.equal(secureCookie(req("http://127.0.0.1:8080/"), "auto"), true);
  assert.equal(secureCookie(req("http://[::1]:8080/"), "auto"), true);
  assert.equal(
    secureCookie(
      req("http://pla.lan/", { "x-forwarded-proto": "https" }),
      "auto",
    ),
    true,
  );
  assert.equal(secureCookie(req("http://pla.lan/"), "auto"), false);
  assert.equal(secureCookie(req("http://pla.lan/"), "always"), true);
  assert.equal(secureCookie(req("https://pla.lan/"), "never"), false);
});

Deno.test("open mode answers only IP addresses, localhost and open_hosts (DNS rebinding)", async () => {
  const yaml = `
servers: [{ id: localhost-v4, name: L4, host: 127.0.0.1 }]
auth: { mode: open, open_hosts: [pla.lan] }
`;
  await withApiKit(async ({ app, runner }) => {
    const req = (host: string, init: RequestInit = {}) =>
      app.request("/api/tests", {
        ...init,
        headers: { ...init.headers, host },
      });
    for (
      const host of [
        "127.0.0.1:8080",
        "[::1]:8080",
        "localhost",
        "PLA.lan:80",
        "10.1.2.3",
      ]
    ) {
      const res = await req(host);
      assert.equal(res.status, 200, host);
      await res.body?.cancel();
    }
    const rebound = await req("evil.example:8080", {
      method: "POST",
      body: JSON.stringify({ targets: ["localhost-v4"], count: 1 }),
    });
    assert.equal(rebound.status, 403);
    assert.match((await rebound.json()).detail, /DNS rebinding/);
    assert.equal((await req("evil.example")).status, 403);
    assert.equal(
      (await app.request("/healthz", { headers: { host: "evil.example" } }))
        .status,
      200,
    );
    assert.deepEqual(await runner.list(), []);
  }, { configYaml: yaml });
});
