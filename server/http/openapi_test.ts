import assert from "node:assert/strict";
import { postJson, quickTest, withApiKit } from "../../testing/api_testkit.ts";
import { checkResponse, schemaErrors } from "../../testing/openapi_check.ts";

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
    // And everything documented is served.
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const method of Object.keys(ops as object)) {
        const route = path.replace(/\{(\w+)\}/g, ":$1");
        assert.ok(
          app.routes.some((r) =>
            r.path === route && r.method === method.toUpperCase()
          ),
          `${method} ${path} is served`,
        );
      }
    }
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

Deno.test("the document's checker flags undocumented and missing properties", () => {
  const doc = {
    components: {
      schemas: {
        A: {
          type: "object",
          properties: { a: { type: "integer" } },
          required: ["a"],
        },
      },
    },
  };
  const withB = {
    allOf: [{ $ref: "#/components/schemas/A" }, {
      type: "object",
      properties: { b: { type: ["string", "null"] } },
    }],
  };
  assert.deepEqual(schemaErrors(doc, withB, { a: 1, b: null }), []);
  assert.deepEqual(schemaErrors(doc, withB, { a: 1, b: "x", c: 2 }), [
    "$.c: not in the schema",
  ]);
  assert.deepEqual(schemaErrors(doc, { $ref: "#/components/schemas/A" }, {}), [
    "$.a: required but missing",
  ]);
  assert.equal(schemaErrors(doc, withB, { a: 1.5 }).length, 1);
});

Deno.test("real responses of every /api route match the document", async () => {
  await withApiKit(async (kit) => {
    const { app, runner } = kit;
    const doc = await (await app.request("/api/openapi.json")).json();
    const check = (method: string, path: string, res: Response) =>
      checkResponse(doc, method, path, res);

    await check(
      "get",
      "/api/openapi.json",
      await app.request("/api/openapi.json"),
    );
    await check("get", "/api/me", await app.request("/api/me"));
    await check("get", "/api/servers", await app.request("/api/servers"));

    // A finished test: detail with summary, samples over two pages, exports.
    const id = await quickTest(kit);
    const t = "/api/tests/{id}";
    await check("get", t, await app.request(`/api/tests/${id}`));
    await check("get", "/api/tests", await app.request("/api/tests?limit=1"));
    const page = await check(
      "get",
      `${t}/samples`,
      await app.request(`/api/tests/${id}/samples?limit=1`),
    ) as { has_more: boolean; next_cursor: string };
    await check(
      "get",
      `${t}/samples`,
      await app.request(`/api/tests/${id}/samples?cursor=${page.next_cursor}`),
    );
    await check(
      "get",
      `${t}/export`,
      await app.request(`/api/tests/${id}/export?format=json`),
    );
    await check(
      "get",
      `${t}/export`,
      await app.request(`/api/tests/${id}/export`),
    );
    await check(
      "get",
      `${t}/events`,
      await app.request(`/api/tests/${id}/events`),
    );
    await check("get", "/api/audit", await app.request("/api/audit"));

    // A path test: its paths in the detail, the hop exports (CSV and JSON).
    const pathRes = await postJson(app, "/api/tests", {
      targets: ["localhost-v4"],
      mode: "path",
      max_hops: 2,
      interval_ms: 50,
      count: 2,
      timeout_ms: 200,
    });
    const pathTest = await check("post", "/api/tests", pathRes) as {
      id: string;
    };
    await runner.finished(pathTest.id);
    const pathDetail = await check(
      "get",
      t,
      await app.request(`/api/tests/${pathTest.id}`),
    ) as { paths?: unknown[] };
    assert.equal(pathDetail.paths?.length, 1);
    for (const q of ["format=json", "format=csv", "format=json&kind=probes"]) {
      await check(
        "get",
        `${t}/export`,
        await app.request(`/api/tests/${pathTest.id}/export?${q}`),
      );
    }
    await check(
      "get",
      `${t}/export`,
      await app.request(`/api/tests/${id}/export?kind=hops`),
    );

    // A running test: live stats, then stop (202), then delete (204).
    const started = await postJson(app, "/api/tests", {
      targets: ["localhost-v4", "localhost-v6"],
      interval_ms: 20,
      count: 500,
      timeout_ms: 200,
    });
    const running = await check("post", "/api/tests", started) as {
      id: string;
    };
    await new Promise((r) => setTimeout(r, 150));
    const live = await check(
      "get",
      t,
      await app.request(`/api/tests/${running.id}`),
    ) as { stats?: unknown };
    assert.ok(live.stats, "a running test has live stats");
    await check(
      "post",
      `${t}/stop`,
      await app.request(`/api/tests/${running.id}/stop`, { method: "POST" }),
    );
    await runner.finished(running.id);
    await check(
      "delete",
      t,
      await app.request(`/api/tests/${running.id}`, { method: "DELETE" }),
    );

    // Errors: each status is documented for its operation, as a Problem.
    await check("get", "/api/tests", await app.request("/api/tests?limit=0"));
    await check("get", t, await app.request("/api/tests/nope"));
    await check(
      "get",
      `${t}/samples`,
      await app.request(`/api/tests/${id}/samples?cursor=x`),
    );
    await check(
      "get",
      `${t}/export`,
      await app.request(`/api/tests/${id}/export?format=xml`),
    );
    await check(
      "get",
      `${t}/events`,
      await app.request(`/api/tests/${id}/events`, {
        headers: { "last-event-id": "x" },
      }),
    );
    await check("post", "/api/tests", await postJson(app, "/api/tests", "{"));
    await check(
      "post",
      "/api/tests",
      await postJson(app, "/api/tests", { targets: ["mars"], count: 1 }),
    );
    await check(
      "post",
      `${t}/stop`,
      await app.request(`/api/tests/${id}/stop`, { method: "POST" }),
    );
    await check("get", "/api/audit", await app.request("/api/audit?cursor=x"));
  });
});
