import assert from "node:assert/strict";
import { AuditLog } from "./audit_log.ts";
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

Deno.test("AuditLog keeps entries in time order and pages exactly", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const log = new AuditLog(kv);
    for (let i = 0; i < 5; i++) {
      await log.record({
        at: new Date(1_700_000_000_000 + i * 1000).toISOString(),
        action: "export",
        test_id: `t${i}`,
        who: "anonymous",
        from: "127.0.0.1",
      });
    }
    const a = await log.list(5);
    assert.deepEqual(a.entries.map((e) => e.test_id), [
      "t4",
      "t3",
      "t2",
      "t1",
      "t0",
    ]);
    assert.equal(a.next_cursor, null, "no cursor when nothing is left");
    const b = await log.list(2);
    const c = await log.list(2, b.next_cursor!);
    const d = await log.list(2, c.next_cursor!);
    assert.deepEqual(
      [...b.entries, ...c.entries, ...d.entries].map((e) => e.test_id),
      ["t4", "t3", "t2", "t1", "t0"],
    );
    assert.equal(d.next_cursor, null);

    // Entries within one millisecond keep their record order.
    const at = new Date(1_800_000_000_000).toISOString();
    for (const id of ["s0", "s1", "s2", "s3", "s4", "s5"]) {
      await log.record({
        at,
        action: "start",
        test_id: id,
        who: "anonymous",
        from: "::1",
      });
    }
    assert.deepEqual(
      (await log.list(6)).entries.map((e) => e.test_id),
      ["s5", "s4", "s3", "s2", "s1", "s0"],
    );
  } finally {
    kv.close();
  }
});
