// The real server (main.ts) with authentication required, on a real loopback
// socket: start-up notice, tokens, the sign-in form and its cookie, CSRF
// refusal; then the same in a real browser (Chromium, skipped without it).
// Probes loopback only, one probe.
import assert from "node:assert/strict";
import {
  artifactPath,
  launchBrowser,
  noBrowser,
} from "../testing/browser_kit.ts";
import {
  hashPassword,
  MIN_ITERATIONS,
  newToken,
  sha256Hex,
} from "../server/auth/password.ts";
import { startServer, stopServer } from "../testing/server_process.ts";

const PASSWORD = "a long enough password";
const TOKEN = newToken();

interface AuthServer {
  base: string;
  startup: string;
  stop: () => Promise<void>;
}

async function startAuthServer(): Promise<AuthServer> {
  const dir = await Deno.makeTempDir();
  const config = `servers:
  - { id: localhost-v4, name: Localhost, host: 127.0.0.1 }
auth:
  users:
    - name: alice
      role: admin
      password_hash: "${await hashPassword(PASSWORD, MIN_ITERATIONS)}"
  tokens:
    - { name: ci, user: build-bot, role: operator, sha256: "${await sha256Hex(
    TOKEN,
  )}" }
`;
  let server;
  try {
    server = await startServer({ dir, config });
  } catch (e) {
    await Deno.remove(dir, { recursive: true });
    throw e;
  }
  return {
    base: server.base,
    startup: server.output(),
    stop: async () => {
      await stopServer(server);
      await Deno.remove(dir, { recursive: true });
    },
  };
}

Deno.test("real server, auth required: tokens, sign-in form, cookie, CSRF", async () => {
  const s = await startAuthServer();
  try {
    const authLine = s.startup.split("\n").find((l) => l.includes('"auth"'))!;
    assert.deepEqual(JSON.parse(authLine), {
      msg: "auth",
      mode: "required",
      users: 1,
      tokens: 1,
      proxy_header: null,
    });
    const anon = await fetch(`${s.base}/api/tests`);
    assert.equal(anon.status, 401);
    assert.match(anon.headers.get("www-authenticate")!, /^Bearer/);
    await anon.body?.cancel();

    const started = await fetch(`${s.base}/api/tests`, {
      method: "POST",
      body: JSON.stringify({
        targets: ["localhost-v4"],
        count: 1,
        interval_ms: 10,
      }),
      headers: {
        authorization: `Bearer ${TOKEN}`,
        "content-type": "application/json",
      },
    });
    assert.equal(started.status, 201);
    const { id, created_by } = await started.json();
    assert.equal(created_by, "build-bot");

    const login = await fetch(`${s.base}/login`, {
      method: "POST",
      redirect: "manual",
      body: new URLSearchParams({
        username: "alice",
        password: PASSWORD,
        next: `/api/tests/${id}`,
      }),
      headers: { origin: s.base },
    });
    assert.equal(login.status, 303);
    assert.equal(login.headers.get("location"), `/api/tests/${id}`);
    const setCookie = login.headers.get("set-cookie")!;
    const attrs = setCookie.split("; ").slice(1);
    for (const a of ["HttpOnly", "SameSite=Strict", "Path=/", "Secure"]) {
      assert.ok(attrs.includes(a), `${a} in ${setCookie}`);
    }
    assert.ok(attrs.some((a) => /^Max-Age=\d+$/.test(a)), setCookie);
    const cookie = setCookie.split(";")[0];
    const audit = await fetch(`${s.base}/api/audit`, { headers: { cookie } });
    assert.equal(audit.status, 200);
    const entries = (await audit.json()).entries;
    assert.equal(entries[0].who, "build-bot");
    assert.equal(entries[0].from, "127.0.0.1");

    const forged = await fetch(`${s.base}/api/tests/${id}`, {
      method: "DELETE",
      headers: { cookie, origin: "https://evil.example" },
    });
    assert.equal(forged.status, 403);
    await forged.body?.cancel();
    const meta =
      await (await fetch(`${s.base}/api/tests/${id}`, { headers: { cookie } }))
        .json();
    assert.equal(meta.id, id, "the forged DELETE changed nothing");
  } finally {
    await s.stop();
  }
});

Deno.test({
  name:
    "browser: a page redirects to the form; sign-in sets a cookie the browser keeps on 127.0.0.1; no CSP violation",
  ignore: noBrowser,
  async fn() {
    const s = await startAuthServer();
    const browser = await launchBrowser();
    const page = await browser.newPage();
    try {
      const problems: string[] = [];
      page.on("console", (m) => {
        if (m.type() === "error") problems.push(m.text());
      });
      page.on("pageerror", (e) => problems.push(String(e)));
      // A page GET without a session lands on the form with next= set.
      await page.goto(`${s.base}/healthz`);
      const res = await page.goto(`${s.base}/somewhere?a=b`);
      assert.ok(res);
      assert.equal(new URL(page.url()).pathname, "/login");
      assert.equal(
        new URL(page.url()).searchParams.get("next"),
        "/somewhere?a=b",
      );
      await page.fill('input[name="username"]', "alice");
      await page.fill('input[name="password"]', "wrong");
      await page.click('button[type="submit"]');
      assert.match(
        await page.textContent(".error") ?? "",
        /Wrong user name or password/,
      );
      await page.fill('input[name="password"]', PASSWORD);
      await page.click('button[type="submit"]');
      await page.waitForURL(`${s.base}/somewhere?a=b`);
      const cookies = await page.context().cookies();
      const session = cookies.find((c) => c.name === "pla_session");
      assert.ok(
        session,
        "the browser kept the Secure cookie on http://127.0.0.1",
      );
      assert.equal(session.httpOnly, true);
      assert.equal(session.sameSite, "Strict");
      assert.equal(session.secure, true);
      const me = await page.evaluate(async () => {
        const r = await fetch("/api/me");
        return await r.json();
      });
      assert.deepEqual(me, {
        name: "alice",
        role: "admin",
        via: "session",
        auth: "required",
      });
      // Same-origin POST from the page passes the CSRF check: logout.
      const out = await page.evaluate(async () =>
        (await fetch("/logout", { method: "POST" })).url
      );
      assert.match(out, /\/login$/);
      const after = await page.evaluate(async () =>
        (await fetch("/api/me")).status
      );
      assert.equal(after, 401);
      assert.deepEqual(
        problems.filter((p) => /Content Security Policy/.test(p)),
        [],
      );
      await page.goto(`${s.base}/login`);
    } finally {
      await page.screenshot({
        path: artifactPath("sign-in.png"),
        fullPage: true,
      })
        .catch((e) => console.error(`screenshot sign-in: ${e.message}`));
      await browser.close();
      await s.stop();
    }
  },
});
