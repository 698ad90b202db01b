// GET /api/tests query: filters (target, status, from, to) and cursor
// pagination, read by the store from its indexes (toStoreQuery); pageTests
// is the same over an in-memory list (the reference the store is tested against).
import type { Config } from "../config/config.ts";
import { ApiError } from "../http/problem.ts";
import { type TestMeta, testStatus } from "../../model/run.ts";
import type { TestListQuery as StoreQuery } from "../store/kv_store.ts";

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

const ISO_TIME =
  /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/;

function bad(field: string, message: string): never {
  throw new ApiError(400, `${field}: ${message}`, field);
}

/** Parses a positive integer `limit` (default, at most MAX_LIMIT). */
export function parseLimit(raw: string | undefined): number {
  if (raw === undefined || raw === "") return DEFAULT_LIMIT;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > MAX_LIMIT) {
    bad("limit", `must be an integer from 1 to ${MAX_LIMIT}`);
  }
  return n;
}

export function encodeCursor(meta: TestMeta): string {
  return btoa(JSON.stringify([meta.created_at, meta.id]))
    .replaceAll("+", "-").replaceAll("/", "_").replaceAll("=", "");
}

function decodeCursor(raw: string): [string, string] {
  try {
    const v = JSON.parse(atob(raw.replaceAll("-", "+").replaceAll("_", "/")));
    if (
      Array.isArray(v) && v.length === 2 && typeof v[0] === "string" &&
      typeof v[1] === "string"
    ) return [v[0], v[1]];
  } catch { /* reported below */ }
  return bad("cursor", "not a cursor returned by this API");
}

function parseTime(field: string, raw: string): number {
  const ms = Date.parse(raw);
  if (!ISO_TIME.test(raw) || Number.isNaN(ms)) {
    bad(field, `"${raw}" is not an ISO 8601 time`);
  }
  return ms;
}

/** Validates the query parameters; throws ApiError 400 naming the parameter. */
export function parseTestListQuery(
  q: Record<string, string | undefined>,
  config: Config,
): TestListQuery {
  const out: TestListQuery = { limit: parseLimit(q.limit), after: null };
  if (q.cursor !== undefined && q.cursor !== "") {
    out.after = decodeCursor(q.cursor);
  }
  if (q.target !== undefined) {
    if (!config.servers.some((s) => s.id === q.target)) {
      bad("target", `unknown server "${q.target}" (see GET /api/servers)`);
    }
    out.target = q.target;
  }
  if (q.status !== undefined) {
    if (!testStatus.safeParse(q.status).success) {
      bad("status", `must be one of ${testStatus.options.join(", ")}`);
    }
    out.status = q.status;
  }
  if (q.from !== undefined) out.fromMs = parseTime("from", q.from);
  if (q.to !== undefined) out.toMs = parseTime("to", q.to);
  if (
    out.fromMs !== undefined && out.toMs !== undefined && out.fromMs > out.toMs
  ) bad("to", "must not be before from");
  return out;
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
