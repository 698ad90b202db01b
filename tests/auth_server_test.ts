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

const ROOT = new URL("..", import.meta.url).pathname;
const PASSWORD = "a long enough password";
const TOKEN = newToken();

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

interface Server {
  base: string;
  startup: string;
  stop: () => Promise<void>;
}

async function startServer(): Promise<Server> {
  const dir = await Deno.makeTempDir();
  const config = `${dir}/pla.yaml`;
  await Deno.writeTextFile(
    config,
    `servers:
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
`,
  );
  const port = freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-ffi",
      `--allow-read=${ROOT},${dir}`,
      `--allow-write=${dir}`,
      "--allow-net",
      "--allow-env",
      "--allow-sys=hostname,networkInterfaces",
      "server/main.ts",
      "--config",
      config,
    ],
    cwd: ROOT,
    env: { PORT: String(port), HOST: "127.0.0.1", PLA_KV: `${dir}/pla.kv` },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const deadline = Date.now() + 30_000;
  while (!text.includes('"listening"')) {
    if (Date.now() > deadline) throw new Error("server did not start");
    const { value, done } = await reader.read();
    if (done) {
      const err = await new Response(child.stderr).text();
      throw new Error(`server exited before listening:\n${text}\n${err}`);
    }
    text += value;
  }
  const drain = (async () => {
    try {
      while (!(await reader.read()).done) { /* drain */ }
    } catch { /* killed */ }
  })();
  child.stderr.cancel();
  return {
    base: `http://127.0.0.1:${port}`,
    startup: text,
    stop: async () => {
      child.kill("SIGTERM");
      await child.status;
      await drain;
      await Deno.remove(dir, { recursive: true });
    },
  };
}

Deno.test("real server, auth required: tokens, sign-in form, cookie, CSRF", async () => {
  const s = await startServer();
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
    assert.match(setCookie, /HttpOnly; SameSite=Strict; Max-Age=\d+; Secure$/);
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
    const s = await startServer();
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
