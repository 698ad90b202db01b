// One history page from PostgreSQL: a keyset read of the narrowest index for
// the filters (pla_tests_by_time / _by_status, or pla_test_targets' indexes
// for a target), newest first, `limit + 1` rows at most: no OFFSET and no
// count, so a page costs the same with a million tests.
import type { TestMeta } from "../../../model/run.ts";
import type { TestListQuery } from "../run_store.ts";
import type { Sql } from "./pg_client.ts";

/** The most rows one page reads (as the KV store). */
const MAX_ROWS = 100_000;

interface Row {
  meta: string;
  created_at: string;
  id: string;
}

/** Newest first: created_at, then id, descending (bytewise, as collate "C"). */
const newestFirst = (a: Row, b: Row) =>
  a.created_at !== b.created_at
    ? (a.created_at < b.created_at ? 1 : -1)
    : a.id === b.id
    ? 0
    : a.id < b.id
    ? 1
    : -1;

/** The query of one page (tests and benchmarks EXPLAIN it). */
export function listQuery(sql: Sql, q: TestListQuery) {
  const limit = Math.min(q.limit + 1, MAX_ROWS);
  // Conditions on the listing table `x` (pla_tests or pla_test_targets).
  const conds = [
    q.status !== undefined ? sql`and x.status = ${q.status}` : sql``,
    q.fromIso !== undefined ? sql`and x.created_at >= ${q.fromIso}` : sql``,
    q.toIso !== undefined ? sql`and x.created_at < ${q.toIso}` : sql``,
  ];
  if (q.target !== undefined) {
    const after = q.after
      ? sql`and (x.created_at, x.test_id) < (${q.after[0]}, ${q.after[1]})`
      : sql``;
    // The page's order is the subquery's (sorted again in listTestsPg: a
    // join does not promise to keep it).
    return sql<Row[]>`
      select t.meta::text, t.created_at, t.id from (
        select x.test_id from pla_test_targets x
        where x.target = ${q.target} ${conds[0]} ${conds[1]} ${
      conds[2]
    } ${after}
        order by x.created_at desc, x.test_id desc limit ${limit}
      ) p join pla_tests t on t.id = p.test_id`;
  }
  const after = q.after
    ? sql`and (x.created_at, x.id) < (${q.after[0]}, ${q.after[1]})`
    : sql``;
  return sql<Row[]>`
    select x.meta::text, x.created_at, x.id from pla_tests x
    where true ${conds[0]} ${conds[1]} ${conds[2]} ${after}
    order by x.created_at desc, x.id desc limit ${limit}`;
}

export async function listTestsPg(
  sql: Sql,
  q: TestListQuery,
): Promise<{ tests: TestMeta[]; more: boolean; rows: number }> {
  const rows = [...await listQuery(sql, q)];
  if (q.target !== undefined) rows.sort(newestFirst);
  const more = rows.length > q.limit;
  return {
    tests: rows.slice(0, q.limit).map((r) => JSON.parse(r.meta)),
    more,
    rows: rows.length,
  };
}
