// What `deno task migrate --from-kv FILE` copies from a KV file into
// PostgreSQL, in order: one entry per kind of record. Each copier is
// idempotent (what is already in PostgreSQL is skipped), so a second run
// copies only what the first did not.
import type { KvCopier } from "./kv_copier.ts";
import { copyKvTests } from "./copy_kv_tests.ts";
import { copyKvAudit } from "./copy_kv_audit.ts";
import { monitorKvCopy } from "../../monitors/monitor_kv_copy.ts";
import { alertKvCopy } from "../../alerts/alert_kv_copy.ts";

export type { CopyResult, KvCopier } from "./kv_copier.ts";

export const KV_COPIERS: readonly KvCopier[] = [
  { name: "tests", copy: copyKvTests },
  { name: "audit", copy: copyKvAudit },
  monitorKvCopy,
  alertKvCopy,
];
