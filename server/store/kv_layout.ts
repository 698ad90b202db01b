// The Deno KV key layout of the store (schema 2; kv_migrate.ts converts the
// schema-1 layout at open):
//   ["tests", id]                                   TestMeta
//   ["summaries", id]                               TargetReport[]
//   ["paths", id, targetIndex]                      PathSummary (path tests)
//   ["ev", id, firstEventId]                        JSON array of events
//   ["tests_by_time", created_at, id]               id  (index, newest = last)
//   ["tests_by_status", status, created_at, id]     id
//   ["tests_by_target", target, created_at, id]     id
//   ["tests_by_target_status", target, status, created_at, id]  id
// A chunk is keyed by the id of its first event, so "the events after N" is
// one reverse read (the chunk holding N + 1) and a forward range read from
// there; the index keys are written in the same atomic operation as the test
// record, so a listing reads only the index entries of the page it returns.
import type { TestMeta } from "../../model/run.ts";

/** Version of the key layout above; older files are migrated at open. */
export const SCHEMA_VERSION = 2;

/** One page of the history: newest first, filtered. */
export interface TestListQuery {
  limit: number;
  /** Start after this [created_at, id] (exclusive, newest-first order). */
  after?: [string, string] | null;
  target?: string;
  status?: string;
  /** created_at >= from (ISO time as stored). */
  fromIso?: string;
  /** created_at < to. */
  toIso?: string;
}

export const eventKey = (
  id: string,
  first: number,
): Deno.KvKey => ["ev", id, first];

/** The index keys of a test record: what listings read. */
export function indexKeys(meta: TestMeta): Deno.KvKey[] {
  const { id, status, created_at: at } = meta;
  const keys: Deno.KvKey[] = [
    ["tests_by_time", at, id],
    ["tests_by_status", status, at, id],
  ];
  for (const target of new Set(meta.targets.map((t) => t.id))) {
    keys.push(["tests_by_target", target, at, id]);
    keys.push(["tests_by_target_status", target, status, at, id]);
  }
  return keys;
}

export const keyText = (k: Deno.KvKey) => JSON.stringify(k);

/**
 * The reverse range read of one listing page: the narrowest index for the
 * filters, bounded by from/to and the cursor.
 */
export function listSelector(q: TestListQuery): Deno.KvListSelector {
  const prefix: Deno.KvKey = q.target !== undefined
    ? q.status !== undefined
      ? ["tests_by_target_status", q.target, q.status]
      : ["tests_by_target", q.target]
    : q.status !== undefined
    ? ["tests_by_status", q.status]
    : ["tests_by_time"];
  let end: Deno.KvKey | undefined = q.toIso !== undefined
    ? [...prefix, q.toIso]
    : undefined;
  if (q.after && (q.toIso === undefined || q.after[0] < q.toIso)) {
    end = [...prefix, q.after[0], q.after[1]];
  }
  const start: Deno.KvKey | undefined = q.fromIso !== undefined
    ? [...prefix, q.fromIso]
    : undefined;
  return start && end
    ? { start, end }
    : start
    ? { prefix, start }
    : end
    ? { prefix, end }
    : { prefix };
}
