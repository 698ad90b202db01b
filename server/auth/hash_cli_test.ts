import assert from "node:assert/strict";
import { parseConfig } from "../config/config.ts";
import { Auth } from "./auth.ts";
import { CliError, hashCli } from "./hash_cli.ts";
import { verifyPassword } from "./password.ts";

const pw = (p: string) => () => Promise.resolve(p);

Deno.test("hash-password prints a config line that verifies", async () => {
  const line = await hashCli(
    ["hash-password", "--iterations", "100000"],
    pw("s3cret-passw0rd"),
  );
  const hash = /^password_hash: "(.+)"$/.exec(line)![1];
  assert.ok(await verifyPassword("s3cret-passw0rd", hash));
  assert.ok(!(await verifyPassword("s3cret-passw0rD", hash)));
  const config = parseConfig(
    `servers: [{id: a, name: A, host: 127.0.0.1}]\nauth:\n  users:\n    - name: ann\n      role: admin\n      ${line}\n`,
  );
  assert.equal(
    (await new Auth(config.auth).login("ann", "s3cret-passw0rd"))?.role,
    "admin",
  );
});

Deno.test("token prints the token once and an entry that authenticates it", async () => {
  const out = await hashCli(
    ["token", "--name", "ci", "--role", "operator", "--user", "build-bot"],
    pw(""),
  );
  const token = /^# (pla_[A-Za-z0-9_-]{43})$/m.exec(out)![1];
  const entry = /^- (\{.*\})$/m.exec(out)![1];
  assert.doesNotMatch(entry, new RegExp(token));
  const config = parseConfig(
    `servers: [{id: a, name: A, host: 127.0.0.1}]\nauth:\n  tokens:\n    - ${entry}\n`,
  );
  const who = await new Auth(config.auth).identify(
    new Request("http://x/", { headers: { authorization: `Bearer ${token}` } }),
    "127.0.0.1",
  );
  assert.deepEqual(who, { name: "build-bot", role: "operator", via: "token" });
});

Deno.test("bad arguments are clear errors", async () => {
  for (
    const [args, re] of [
      [["hash-password", "--iterations", "10"], /at least 100000/],
      [["hash-password", "--bogus"], /bogus/],
      [["token", "--role", "admin"], /--name is required/],
      [["token", "--name", "x", "--role", "root"], /--role: one of viewer/],
      [["token", "--name", "a b", "--role", "admin"], /--name: 1-64/],
      [["nope"], /Usage/],
    ] as const
  ) {
    await assert.rejects(
      hashCli([...args], pw("long enough")),
      (e) => e instanceof CliError && re.test(e.message),
      args.join(" "),
    );
  }
  await assert.rejects(hashCli(["hash-password"], pw("short")), /8 to 1024/);
});
