import assert from "node:assert/strict";
import { ConfigError, loadConfig, parseConfig } from "./config.ts";

Deno.test("embedded default: loopback servers and default limits", async () => {
  const c = await loadConfig();
  assert.deepEqual(c.servers.map((s) => [s.id, s.host]), [
    ["localhost-v4", "127.0.0.1"],
    ["localhost-v6", "::1"],
  ]);
  assert.equal(c.defaults.interval_ms, 1000);
  assert.equal(c.limits.max_targets, 10);
  assert.equal(c.retention_days, 30);
});

Deno.test("a valid file fills in defaults", () => {
  const c = parseConfig(
    `servers:\n  - {id: gw, name: Gateway, host: 10.0.0.1}\nlimits: {min_interval_ms: 100}\nauth: {mode: open}\n`,
    "x.yaml",
  );
  assert.equal(c.servers[0].group, "default");
  assert.deepEqual(c.servers[0].tags, []);
  assert.equal(c.limits.min_interval_ms, 100);
  assert.equal(c.limits.max_count, 100_000);
});

Deno.test("a bad file lists every problem with file and path", () => {
  const text = `servers:
  - {id: a, name: A, host: ""}
  - {id: a, name: B, host: h, tags: nope}
defaults: {interval_ms: 0, timeout_ms: 1000, size: 56}
limits: {max_targets: -1}
bogus: 1
`;
  try {
    parseConfig(text, "bad.yaml");
    assert.fail("should throw");
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    const p = e.problems;
    const has = (prefix: string) =>
      assert.ok(p.some((l) => l.startsWith(prefix)), `${prefix} in ${p}`);
    has("bad.yaml: servers.0.host: ");
    has("bad.yaml: servers.1.tags: ");
    has("bad.yaml: defaults.interval_ms: interval must be at least 1 ms");
    has("bad.yaml: limits.max_targets: ");
    has("bad.yaml: (root): ");
  }
});

Deno.test("duplicate ids and YAML syntax errors are reported", () => {
  assert.throws(
    () =>
      parseConfig(
        "servers:\n  - {id: a, name: A, host: h}\n  - {id: a, name: B, host: h}\n",
        "d.yaml",
      ),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.problems.includes('d.yaml: servers.1.id: duplicate server id "a"'),
  );
  assert.throws(() => parseConfig("servers: [", "s.yaml"), /s\.yaml: /);
});

Deno.test("a missing file names the file", async () => {
  await assert.rejects(
    loadConfig("/nonexistent/pla.yaml"),
    /\/nonexistent\/pla\.yaml: /,
  );
});

Deno.test("partial defaults keep the other defaults", () => {
  const c = parseConfig(
    "servers:\n  - {id: gw, name: G, host: 10.0.0.1}\ndefaults: {interval_ms: 500}\nauth: {mode: open}\n",
    "p.yaml",
  );
  assert.deepEqual(c.defaults, {
    interval_ms: 500,
    timeout_ms: 1000,
    size: 56,
  });
});

Deno.test("an unknown field in a server entry is refused, naming it", () => {
  assert.throws(
    () =>
      parseConfig(
        "servers:\n  - {id: a, name: A, host: 127.0.0.1, grup: lan}\nauth: {mode: open}\n",
        "s.yaml",
      ),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.problems.includes('s.yaml: servers.0: unknown field "grup"'),
  );
});

Deno.test("config: monitors and notify are cross-checked with clear messages", () => {
  const base =
    `auth: { mode: open }\nservers:\n  - { id: gw, name: GW, host: 127.0.0.1 }\n`;
  const ok = parseConfig(
    base +
      `monitors:\n  - id: gw-watch\n    server: gw\n    alerts:\n      - { name: down, loss_pct_above: 99, for_steps: 2, notify: [ops] }\nnotify:\n  - { id: ops, type: webhook, url: "http://alerts.internal/hook" }\n`,
  );
  assert.equal(ok.monitors[0].step_s, 60);
  assert.equal(ok.monitors[0].probes, 20);
  assert.equal(ok.monitor_retention.step_days, 14);
  assert.equal(ok.monitor_retention.day_days, 1825);
  const problems = (text: string) => {
    try {
      parseConfig(base + text, "c.yaml");
    } catch (e) {
      return (e as ConfigError).problems.join("\n");
    }
    return "";
  };
  assert.match(
    problems(`monitors:\n  - { id: m, server: nope }\n`),
    /c\.yaml: monitors\.0\.server: "nope" is not a configured server id/,
  );
  assert.match(
    problems(
      `monitors:\n  - { id: m, server: gw, alerts: [{ name: a, loss_pct_above: 1, notify: [x] }] }\n`,
    ),
    /monitors\.0\.alerts\.0\.notify\.0: "x" is not a notify id/,
  );
  assert.match(
    problems(
      `monitors:\n  - { id: m, server: gw }\n  - { id: m, server: gw }\n`,
    ),
    /monitors\.1\.id: duplicate monitor id "m"/,
  );
  assert.match(
    problems(
      `notify:\n  - { id: o, type: webhook, url: "http://a/" }\n  - { id: o, type: webhook, url: "http://b/" }\n`,
    ),
    /notify\.1\.id: duplicate notify id "o"/,
  );
  assert.match(
    problems(
      `limits: { max_pps: 10 }\nmonitors:\n  - { id: m, server: gw, step_s: 1, probes: 20 }\n`,
    ),
    /monitors: the monitors send 20 probes\/s, more than limits\.max_pps \(10\)/,
  );
  assert.match(
    problems(`monitors:\n  - { id: m, server: gw, step_s: 0 }\n`),
    /monitors\.0\.step_s: step_s must be at least 1/,
  );
});

Deno.test("database_url: a postgres URL, else a message without the value", () => {
  const base =
    `servers: [{ id: a, name: A, host: 127.0.0.1 }]\nauth: { mode: open }\n`;
  const c = parseConfig(
    base + `database_url: "postgresql://pla:pw@db:5432/pla"\n`,
    "c.yaml",
  );
  assert.equal(c.database_url, "postgresql://pla:pw@db:5432/pla");
  assert.equal(parseConfig(base, "c.yaml").database_url, undefined);
  for (const bad of [`"http://pla:pw@db/pla"`, `"postgres://"`, `5432`]) {
    try {
      parseConfig(base + `database_url: ${bad}\n`, "c.yaml");
      assert.fail("should throw");
    } catch (e) {
      assert.ok(e instanceof ConfigError);
      assert.equal(e.problems.length, 1, e.message);
      assert.match(e.problems[0], /^c\.yaml: database_url: /);
      assert.ok(!e.message.includes("pw@"), e.message);
    }
  }
});
