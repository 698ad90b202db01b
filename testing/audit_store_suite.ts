// What every AuditStore does (server/store/audit_log_test.ts on KV,
// server/store/pg/pg_audit_log_test.ts on PostgreSQL): newest first, exact
// pages, record order within a millisecond, and foreign cursors refused.
import assert from "node:assert/strict";
import type { AuditStore } from "../server/store/audit_store.ts";

export function auditStoreSuite(
  name: string,
  open: () => Promise<{ audit: AuditStore; close(): Promise<void> }>,
  options: { ignore?: boolean } = {},
): void {
  Deno.test({
    name: `${name} keeps entries in time order and pages exactly`,
    ignore: options.ignore,
    async fn() {
      const { audit: log, close } = await open();
      try {
        assert.deepEqual(await log.list(5), { entries: [], next_cursor: null });
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
        const monitor = await log.record({
          at: new Date(1_900_000_000_000).toISOString(),
          action: "monitor_create",
          test_id: "",
          monitor_id: "m1",
          who: "admin",
          from: "::1",
        });
        assert.deepEqual((await log.list(1)).entries, [monitor]);
        await assert.rejects(() => log.list(2, "garbage"), /cursor/);
      } finally {
        await close();
      }
    },
  });
}
