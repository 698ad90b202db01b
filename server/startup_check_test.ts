// Start-up: the auth mode is printed; the open embedded config is served on
// loopback only (main.ts refuses other addresses).
import assert from "node:assert/strict";
import { loadConfig, parseConfig } from "./config/config.ts";
import { authNotice, isLoopbackHost } from "./startup_check.ts";
import { authConfigYaml } from "../testing/auth_testkit.ts";
import { runCommand } from "../testing/run_command.ts";
import { startArgs } from "../testing/deno_flags.ts";

const ROOT = new URL("..", import.meta.url).pathname;

/**
 * Runs server/main.ts with the start task's permissions but no write
 * permission, bounded in time (a server that did start is killed, and the
 * test fails on its exit code).
 */
const runMain = (env: Record<string, string>, args: string[] = []) =>
  runCommand(Deno.execPath(), [...startArgs({ write: [] }), ...args], {
    cwd: ROOT,
    env,
    signal: AbortSignal.timeout(20_000),
  });

Deno.test("loopback hosts", () => {
  for (const h of ["127.0.0.1", "127.1.2.3", "::1", "localhost", "LOCALHOST"]) {
    assert.ok(isLoopbackHost(h), h);
  }
  for (
    const h of ["0.0.0.0", "::", "192.0.2.1", "::ffff:127.0.0.1x", "pla.lan"]
  ) {
    assert.ok(!isLoopbackHost(h), h);
  }
});

Deno.test("auth notice: open on loopback warns, open elsewhere refused unless explicit", async () => {
  const embedded = await loadConfig();
  const local = authNotice(embedded, "127.0.0.1", false);
  assert.ok(local.ok);
  assert.deepEqual(JSON.parse(local.message).mode, "open");
  assert.match(JSON.parse(local.message).warning, /authentication is off/);
  const wide = authNotice(embedded, "0.0.0.0", false);
  assert.equal(wide.ok, false);
  assert.match(wide.message, /refusing to serve on 0\.0\.0\.0/);
  const explicit = authNotice(embedded, "0.0.0.0", true);
  assert.ok(explicit.ok);
  assert.match(
    JSON.parse(explicit.message).warning,
    /^WARNING: authentication is off/,
  );
  const req = authNotice(parseConfig(await authConfigYaml()), "0.0.0.0", true);
  assert.deepEqual(JSON.parse(req.message), {
    msg: "auth",
    mode: "required",
    users: 3,
    tokens: 3,
    proxy_header: "X-Forwarded-User",
  });
});

Deno.test("main.ts refuses to serve the open default config on 0.0.0.0", async () => {
  const out = await runMain({ HOST: "0.0.0.0", PORT: "0", PLA_KV: ":memory:" });
  assert.equal(out.code, 2);
  assert.match(
    out.stderr,
    /refusing to serve on 0\.0\.0\.0: the embedded default config has no authentication/,
  );
  assert.doesNotMatch(out.stdout, /listening/);
});

Deno.test("main.ts: a config file it may not read gets a hint that works with the start task", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pla-config-" });
  try {
    const file = `${dir}/pla.yaml`;
    await Deno.writeTextFile(file, "auth: {mode: open}\n");
    const out = await runMain({ PORT: "0", PLA_KV: ":memory:" }, [
      "--config",
      file,
    ]);
    const stderr = out.stderr;
    assert.equal(out.code, 2, stderr);
    assert.match(
      stderr,
      new RegExp(`^pla: ${file}: outside what this process may read`),
    );
    assert.match(stderr, /--allow-read=FILE/);
    assert.doesNotMatch(stderr, /run again with the --allow-read flag/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("main.ts: without a loadable shim, one line saying to build it, exit 2", async () => {
  // PLA_SHIM points the engine at the shared library: one that is not there,
  // and a file that is no library (as a shim of the wrong build would be refused).
  for (
    const shim of [`${ROOT}probe/native/missing.so`, `${ROOT}README.md`]
  ) {
    const out = await runMain({
      PORT: "0",
      PLA_KV: ":memory:",
      PLA_SHIM: shim,
    });
    assert.equal(out.code, 2, out.stderr);
    assert.match(
      out.stderr,
      new RegExp(
        `^pla: cannot load the ICMP shim ${shim}: .*Build it with: deno task build\n$`,
      ),
    );
    assert.doesNotMatch(out.stderr, /\bat /);
    assert.doesNotMatch(out.stdout, /listening/);
  }
});

Deno.test("main.ts: a port in use is one line naming it, exit 2", async () => {
  using busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (busy.addr as Deno.NetAddr).port;
  const out = await runMain({
    PORT: String(port),
    PLA_KV: ":memory:",
    NO_COLOR: "1",
  });
  const stderr = out.stderr;
  assert.equal(out.code, 2, stderr);
  assert.equal(stderr.trim().split("\n").length, 1, stderr);
  assert.match(
    stderr,
    new RegExp(
      `^pla: cannot listen on 127\\.0\\.0\\.1:${port}: .+ \\(another process uses it: set PORT to a free port\\)$`,
      "m",
    ),
  );
});

Deno.test("main.ts: a KV path outside its permissions gets a hint with both flags it needs", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pla-kv-" });
  try {
    const out = await runMain({
      PORT: "0",
      PLA_KV: `${dir}/pla.kv`,
      NO_COLOR: "1",
    });
    const stderr = out.stderr;
    assert.equal(out.code, 2, stderr);
    // Opening a KV file needs read and write access: a hint naming only one
    // of them would fail again.
    assert.match(stderr, /--allow-read=DIR --allow-write=DIR/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
