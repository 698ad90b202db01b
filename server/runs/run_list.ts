// GET /api/tests: filters (target, status, from, to) and cursor pagination,
// read by the store from its indexes (toStoreQuery); pageTests is the same
// over an in-memory list (the reference the store is tested against). The
// query is validated by its zod schema (server/http/api_routes.ts).
import type { TestMeta } from "../../model/run.ts";
import type { TestListQuery as StoreQuery } from "../store/kv_layout.ts";

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 1000;

export interface TestListQuery {
  limit: number;
  /** Position after which the page starts: [created_at, id] of the last item seen. */
  after: [string, string] | null;
  target?: string;
  status?: string;
  fromMs?: number;
  toMs?: number;
}

export function encodeCursor(meta: TestMeta): string {
  return btoa(JSON.stringify([meta.created_at, meta.id]))
    .replaceAll("+", "-").replaceAll("/", "_").replaceAll("=", "");
}

/** The position an encodeCursor value stands for, or null when it is not one. */
export function decodeCursor(raw: string): [string, string] | null {
  try {
    const v = JSON.parse(atob(raw.replaceAll("-", "+").replaceAll("_", "/")));
    if (
      Array.isArray(v) && v.length === 2 && typeof v[0] === "string" &&
      typeof v[1] === "string"
    ) return [v[0], v[1]];
  } catch { /* not base64 or not JSON */ }
  return null;
}

/** Newest first in, one page out: filters, then the items after the cursor. */
export function pageTests(
  tests: TestMeta[],
  q: TestListQuery,
): { tests: TestMeta[]; next_cursor: string | null } {
  const matching = tests.filter((t) => {
    if (q.target !== undefined && !t.targets.some((x) => x.id === q.target)) {
      return false;
    }
    if (q.status !== undefined && t.status !== q.status) return false;
    const at = Date.parse(t.created_at);
    if (q.fromMs !== undefined && at < q.fromMs) return false;
    if (q.toMs !== undefined && at >= q.toMs) return false;
    if (q.after) {
      const [c, id] = q.after;
      // Strictly older than the cursor in (created_at desc, id desc) order.
      if (t.created_at > c || (t.created_at === c && t.id >= id)) return false;
    }
    return true;
  });
  const page = matching.slice(0, q.limit);
  const more = matching.length > q.limit;
  return {
    tests: page,
    next_cursor: more ? encodeCursor(page[page.length - 1]) : null,
  };
}

/** The store's form of a query: times as the ISO strings `created_at` is stored as. */
export function toStoreQuery(q: TestListQuery): StoreQuery {
  return {
    limit: q.limit,
    after: q.after,
    ...(q.target !== undefined ? { target: q.target } : {}),
    ...(q.status !== undefined ? { status: q.status } : {}),
    ...(q.fromMs !== undefined
      ? { fromIso: new Date(q.fromMs).toISOString() }
      : {}),
    ...(q.toMs !== undefined ? { toIso: new Date(q.toMs).toISOString() } : {}),
  };
}
