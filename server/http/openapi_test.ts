import assert from "node:assert/strict";
import { withApiKit } from "../../testing/api_testkit.ts";

Deno.test("GET /api/openapi.json documents every /api route from the zod schemas", async () => {
  await withApiKit(async ({ app }) => {
    const res = await app.request("/api/openapi.json");
    assert.equal(res.status, 200);
    const doc = await res.json();
    assert.equal(doc.openapi, "3.1.0");
    // Every /api route the app serves is documented, with its methods.
    let checked = 0;
    for (const r of app.routes) {
      if (!r.path.startsWith("/api/") || r.method === "ALL") continue;
      checked++;
      const path = r.path.replace(/:(\w+)/g, "{$1}");
      assert.ok(
        doc.paths[path]?.[r.method.toLowerCase()],
        `${r.method} ${path} is in the document`,
      );
    }
    assert.ok(checked >= 9, `${checked} routes checked`);
    for (
      const p of [
        "/api/audit",
        "/api/openapi.json",
        "/api/servers",
        "/api/tests",
        "/api/tests/{id}",
        "/api/tests/{id}/events",
        "/api/tests/{id}/stop",
      ]
    ) assert.ok(doc.paths[p], p);
    const s = doc.components.schemas;
    for (
      const name of [
        "TestRequest",
        "TestMeta",
        "ProbeRecord",
        "TargetStats",
        "TargetReport",
        "Problem",
        "AuditEntry",
        "Server",
      ]
    ) assert.equal(s[name]?.type, "object", name);
    assert.ok(s.TestRequest.required.includes("targets"));
    assert.equal(s.TestRequest.additionalProperties, false);
    assert.deepEqual(s.ProbeRecord.properties.status.enum, [
      "ok",
      "lost",
      "late",
      "duplicate",
      "error",
    ]);
    assert.ok("mos" in s.TargetStats.properties);
    assert.ok("mos" in s.TargetReport.properties);
    assert.deepEqual(
      doc.paths["/api/tests"].post.requestBody.content["application/json"]
        .schema,
      { $ref: "#/components/schemas/TestRequest" },
    );
    assert.equal(
      doc.paths["/api/tests/{id}"].get.responses[404].content[
        "application/problem+json"
      ].schema.$ref,
      "#/components/schemas/Problem",
    );
    // Security: both schemes, and each operation's role and 401.
    assert.deepEqual(Object.keys(doc.components.securitySchemes), [
      "bearerAuth",
      "sessionCookie",
    ]);
    assert.equal(doc.paths["/api/audit"].get["x-required-role"], "admin");
    assert.equal(doc.paths["/api/tests"].post["x-required-role"], "operator");
    assert.equal(
      doc.paths["/api/tests/{id}"].delete["x-required-role"],
      "admin",
    );
    assert.equal(doc.paths["/api/me"].get["x-required-role"], "viewer");
    assert.ok(doc.paths["/api/tests"].get.responses[401]);
    // Every $ref resolves.
    const refs = JSON.stringify(doc).matchAll(
      /"\$ref":"#\/components\/schemas\/(\w+)"/g,
    );
    for (const [, name] of refs) assert.ok(s[name], name);
  });
});
