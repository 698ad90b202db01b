import assert from "node:assert/strict";
import { ConfigError, parseConfig } from "../config/config.ts";
import { hashCli } from "../auth/hash_cli.ts";
import { Auth, mayUse, requiredRole } from "../auth/auth.ts";

const problems = (yaml: string) => {
  try {
    parseConfig(yaml, "c.yaml");
  } catch (e) {
    return (e as ConfigError).problems.join("\n");
  }
  return "";
};

Deno.test("config: servers name their site; agents section defaults", () => {
  const c = parseConfig(
    "auth: { mode: open }\nservers: [{ id: a, name: A, host: 127.0.0.1, site: lab }]",
  );
  assert.equal(c.servers[0].site, "lab");
  assert.deepEqual(c.agents, { offline_after_s: 15, grace_s: 30 });
  assert.match(
    problems(
      "auth: { mode: open }\nservers: [{ id: a, name: A, host: 127.0.0.1, site: Lab! }]",
    ),
    /c\.yaml: servers\.0\.site: a site is 1-63 lowercase/,
  );
  assert.match(
    problems(
      "auth: { mode: open }\nservers: [{ id: a, name: A, host: 127.0.0.1 }]\nagents: { grace: 3 }",
    ),
    /agents: Unrecognized key: "grace"|agents.*grace/,
  );
});

Deno.test("config: a path monitor of a server at another site is refused", () => {
  assert.match(
    problems(`auth: { mode: open }
servers: [{ id: a, name: A, host: 127.0.0.1, site: lab }]
monitors: [{ id: m, server: a, mode: path, step_s: 60 }]`),
    /c\.yaml: monitors\.0\.mode: path monitors run from the service only; server "a" is at site "lab"/,
  );
});

Deno.test("config: an agent token needs a site, and only agent tokens have one; no person is an agent", () => {
  const base = "servers: [{ id: a, name: A, host: 127.0.0.1 }]\nauth:\n";
  const sha = "0".repeat(64);
  assert.match(
    problems(`${base}  tokens: [{ name: l, role: agent, sha256: "${sha}" }]`),
    /auth\.tokens\.0\.site: a token of role agent needs the site/,
  );
  assert.match(
    problems(
      `${base}  tokens: [{ name: l, role: viewer, site: lab, sha256: "${sha}" }]`,
    ),
    /auth\.tokens\.0\.site: site is for tokens of role agent only/,
  );
  assert.match(
    problems(
      `${base}  tokens: [{ name: t, role: viewer, sha256: "${sha}" }]\n  users: [{ name: u, role: agent }]`,
    ),
    /auth\.users\.0\.role: the agent role is for tokens only/,
  );
});

Deno.test("token --role agent --site: a config line whose token is the site's agent", async () => {
  const out = await hashCli(
    ["token", "--name", "lab", "--role", "agent", "--site", "lab"],
    () => Promise.resolve(""),
  );
  const token = /^# (pla_[A-Za-z0-9_-]{43})$/m.exec(out)![1];
  const entry = /^- (\{.*\})$/m.exec(out)![1];
  const config = parseConfig(
    `servers: [{id: a, name: A, host: 127.0.0.1}]\nauth:\n  tokens:\n    - ${entry}\n`,
  );
  const who = await new Auth(config.auth).identify(
    new Request("http://x/", { headers: { authorization: `Bearer ${token}` } }),
    "127.0.0.1",
  );
  assert.deepEqual(who, {
    name: "lab",
    role: "agent",
    via: "token",
    site: "lab",
  });
  await assert.rejects(
    hashCli(
      ["token", "--name", "lab", "--role", "agent"],
      () => Promise.resolve(""),
    ),
    /--site is required with --role agent/,
  );
  await assert.rejects(
    hashCli(
      ["token", "--name", "v", "--role", "viewer", "--site", "lab"],
      () => Promise.resolve(""),
    ),
    /--site is for --role agent only/,
  );
});

Deno.test("roles: agent ranks below viewer on every other route, and only an agent (or open auth) uses the agent routes", () => {
  const agent = { name: "lab", role: "agent" as const, via: "token" as const };
  for (
    const [method, path] of [
      ["GET", "/"],
      ["GET", "/api/tests"],
      ["GET", "/api/agents"],
      ["GET", "/metrics"],
      ["POST", "/api/tests"],
      ["POST", "/logout"],
      ["DELETE", "/api/tests/x"],
      ["GET", "/api/audit"],
    ]
  ) {
    assert.equal(mayUse(agent, requiredRole(method, path)), false, path);
  }
  assert.equal(mayUse(agent, requiredRole("POST", "/api/agent/poll")), true);
  for (const role of ["viewer", "operator", "admin"] as const) {
    const who = { name: "p", role, via: "token" as const };
    assert.equal(mayUse(who, requiredRole("POST", "/api/agent/poll")), false);
    assert.equal(
      mayUse(who, requiredRole("POST", "/api/agent/results")),
      false,
    );
  }
  const open = {
    name: "anonymous",
    role: "admin" as const,
    via: "open" as const,
  };
  assert.equal(mayUse(open, requiredRole("POST", "/api/agent/poll")), true);
});
