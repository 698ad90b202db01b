import assert from "node:assert/strict";
import { AuditLog } from "./audit_log.ts";
import { auditStoreSuite } from "../../testing/audit_store_suite.ts";
import {
  assertProblem,
  postJson,
  quickTest,
  withApiKit,
} from "../../testing/api_testkit.ts";

Deno.test("start, stop and delete are audited; GET /api/audit newest first", async () => {
  await withApiKit(async (kit) => {
    const { app, runner } = kit;
    const first = await quickTest(kit);
    const res = await postJson(app, "/api/tests", {
      targets: ["localhost-v4"],
      interval_ms: 20,
      duration_s: 30,
      timeout_ms: 200,
    });
    const second = (await res.json()).id;
    assert.equal(
      (await app.request(`/api/tests/${second}/stop`, { method: "POST" }))
        .status,
      202,
    );
    await runner.finished(second);
    assert.equal(
      (await app.request(`/api/tests/${first}`, { method: "DELETE" })).status,
      204,
    );
    // The client address comes from Deno.serve's handler info (here: env).
    const exp = await app.request(
      `/api/tests/${second}/export?format=json`,
      {},
      { remoteAddr: { transport: "tcp", hostname: "192.0.2.7", port: 4 } },
    );
    assert.equal(exp.status, 200);
    await exp.body?.cancel();
    // Failed actions are not audited.
    await postJson(app, "/api/tests", { targets: ["mars"], count: 1 });
    await app.request(`/api/tests/${first}`, { method: "DELETE" });

    const body = await (await app.request("/api/audit")).json();
    assert.deepEqual(
      body.entries.map((e: { action: string; test_id: string }) => [
        e.action,
        e.test_id,
      ]),
      [
        ["export", second],
        ["delete", first],
        ["stop", second],
        ["start", second],
        ["start", first],
      ],
    );
    assert.equal(body.next_cursor, null);
    assert.equal(body.entries[0].from, "192.0.2.7");
    for (const e of body.entries.slice(1)) {
      assert.equal(e.who, "anonymous");
      assert.equal(e.from, "unknown", "app.request has no connection info");
      assert.ok(!Number.isNaN(Date.parse(e.at)));
    }

    const p1 = await (await app.request("/api/audit?limit=3")).json();
    assert.equal(p1.entries.length, 3);
    assert.equal(typeof p1.next_cursor, "string");
    const p2 = await (await app.request(
      `/api/audit?limit=3&cursor=${encodeURIComponent(p1.next_cursor)}`,
    )).json();
    assert.deepEqual(p2.entries, body.entries.slice(3));
    assert.equal(p2.entries.length, 2);
    assert.equal(p2.next_cursor, null);

    await assertProblem(await app.request("/api/audit?limit=0"), 400, "limit");
    await assertProblem(
      await app.request("/api/audit?cursor=garbage"),
      400,
      "cursor",
    );
  });
});

auditStoreSuite("AuditLog", async () => {
  const kv = await Deno.openKv(":memory:");
  return { audit: new AuditLog(kv), close: () => Promise.resolve(kv.close()) };
});
