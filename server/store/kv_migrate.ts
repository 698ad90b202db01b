// Older Deno KV layouts of the store, converted to the current one at open.
import type { TestMeta } from "../../model/run.ts";
import type { RunEvent as StoredEvent } from "../../model/events.ts";
import { eventKey, SCHEMA_VERSION } from "./kv_layout.ts";

/**
 * Schema 1 (before 2026-11) kept event chunks as ["events", id, n] and no
 * index: rewrite each chunk under its first event id and index every test.
 * Idempotent, so a migration cut short is finished at the next open.
 */
export async function migrateKv(
  kv: Deno.Kv,
  saveTest: (meta: TestMeta) => Promise<void>,
): Promise<void> {
  const version = (await kv.get<number>(["schema"])).value;
  if (version === SCHEMA_VERSION) return;
  if (version !== null && version > SCHEMA_VERSION) {
    throw new Error(
      `the KV file has layout ${version}, newer than this version understands (${SCHEMA_VERSION})`,
    );
  }
  let tests = 0, chunks = 0;
  for await (const e of kv.list<string>({ prefix: ["events"] })) {
    const [, id] = e.key as [string, string, number];
    const events = JSON.parse(e.value) as StoredEvent[];
    const op = kv.atomic().delete(e.key);
    if (events.length) op.set(eventKey(id, events[0].id), e.value);
    await op.commit();
    chunks++;
  }
  for await (const e of kv.list<TestMeta>({ prefix: ["tests"] })) {
    await saveTest(e.value);
    tests++;
  }
  await kv.set(["schema"], SCHEMA_VERSION);
  if (tests || chunks) {
    console.error(JSON.stringify({
      msg: "store: migrated the KV file to layout 2",
      tests,
      chunks,
    }));
  }
}
