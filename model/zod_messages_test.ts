// zod's built-in checks read plainly wherever a schema has no message of its
// own: the config file and the API body (through their real parsers).
import assert from "node:assert/strict";
import { ConfigError, parseConfig } from "../server/config/config.ts";
import { postJson, withApiKit } from "../testing/api_testkit.ts";

function configProblems(yaml: string): string[] {
  try {
    parseConfig(yaml, "pla.yaml");
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  assert.fail("the config was accepted");
}

Deno.test("config problems are plain: required, type, range, unknown field", () => {
  const problems = configProblems(`
servers:
  - { id: a, host: 127.0.0.1 }
  - { id: b, name: "", host: 127.0.0.1, tags: oops }
limits: { min_interval_ms: 0, max_count: lots }
retention_days: 0
colour: blue
auth: { mode: open, users: [{ name: x, role: boss }] }
`);
  assert.deepEqual(problems.sort(), [
    'pla.yaml: (root): unknown field "colour"',
    "pla.yaml: auth.users.0.role: must be one of viewer, operator, admin",
    "pla.yaml: limits.max_count: must be a number",
    "pla.yaml: limits.min_interval_ms: must be at least 1",
    "pla.yaml: retention_days: must be more than 0",
    "pla.yaml: servers.0.name: is required",
    "pla.yaml: servers.1.name: must not be empty",
    "pla.yaml: servers.1.tags: must be a list",
  ]);
});

Deno.test("an API body's unknown field and a list of the wrong type read plainly", async () => {
  await withApiKit(async ({ app }) => {
    const unknown = await postJson(app, "/api/tests", {
      targets: ["localhost-v4"],
      count: 1,
      colour: "blue",
    });
    assert.equal(unknown.status, 422);
    assert.equal(
      (await unknown.json()).detail,
      'colour: unknown field "colour"',
    );
    const notList = await postJson(app, "/api/tests", {
      targets: ["localhost-v4", 7],
      count: 1,
    });
    assert.equal(notList.status, 422);
    assert.equal((await notList.json()).detail, "targets.1: must be a string");
  });
});
