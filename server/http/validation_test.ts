// Validation failures through the routes' zod schemas: one problem shape,
// the field named, a path that names no test a 404.
import assert from "node:assert/strict";
import { z } from "zod";
import { quickTest, withApiKit } from "../../testing/api_testkit.ts";
import { MalformedRequestError, NotFoundError } from "../errors.ts";
import { issueError } from "./validation.ts";

Deno.test("issueError: query 400 with the field, param 404, a field the schema names", () => {
  const fail = (s: z.ZodType, v: unknown) => s.safeParse(v).error!;
  const q = issueError("query", fail(z.object({ n: z.number() }), { n: "x" }));
  assert.ok(q instanceof MalformedRequestError);
  assert.equal(q.field, "n");
  assert.equal(q.message, "n: must be a number");
  const p = issueError(
    "param",
    fail(z.object({ id: z.string().regex(/^a$/, "no such thing") }), {
      id: "b",
    }),
  );
  assert.ok(p instanceof NotFoundError);
  assert.equal(p.message, "no such thing");
  const named = z.string().transform((_, ctx) => {
    ctx.addIssue({ code: "custom", message: "bad", params: { field: "X-Y" } });
    return z.NEVER;
  });
  const h = issueError("query", fail(z.object({ x_y: named }), { x_y: "" }));
  assert.equal(h.field, "X-Y");
  assert.equal(h.message, "X-Y: bad");
});

Deno.test("a repeated query parameter is refused naming it, not silently picked", async () => {
  await withApiKit(async (kit) => {
    const id = await quickTest(kit);
    for (
      const [path, field] of [
        ["/api/tests?limit=1&limit=2", "limit"],
        ["/api/tests?status=running&status=failed", "status"],
        [`/api/tests/${id}/samples?cursor=1&cursor=2`, "cursor"],
        [`/api/tests/${id}/export?format=csv&format=json`, "format"],
        ["/api/tests?target=localhost-v4&target=localhost-v6", "target"],
        [
          `/api/tests/${id}/events?last_event_id=1&last_event_id=2`,
          "last_event_id",
        ],
      ]
    ) {
      const res = await kit.app.request(path);
      assert.equal(res.status, 400, path);
      const body = await res.json();
      assert.equal(body.field, field, path);
      assert.equal(body.detail, `${field}: given more than once`, path);
    }
  });
});
