// The API's path, query and header parameters as zod schemas: they validate
// requests (server/http/validation.ts) and document them (api_routes.ts).
import { z } from "@hono/zod-openapi";
import { testStatus } from "../../model/run.ts";
import {
  EXPORT_FORMATS,
  EXPORT_KINDS,
  type ExportFormat,
  type ExportKind,
} from "../runs/export.ts";
import { TEST_ID } from "../runs/run_id.ts";
import {
  decodeCursor,
  DEFAULT_LIMIT,
  MAX_LIMIT,
  type TestListQuery,
} from "../runs/run_list.ts";
import { DEFAULT_SAMPLES_LIMIT, MAX_SAMPLES_LIMIT } from "../runs/samples.ts";

// ---- Parameters ----------------------------------------------------------------

export const idParams = z.object({
  id: z.string().regex(TEST_ID, {
    error: (iss) => `no test with id "${String(iss.input).slice(0, 64)}"`,
  }).openapi({ description: "test id" }),
});

/** Digits only, lo..hi; absent or empty: the default. */
function intQuery(lo: number, hi: number, dflt: number, description: string) {
  const message = `must be an integer from ${lo} to ${hi}`;
  return z.string({ error: message }).optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw === "") return dflt;
      const n = Number(raw);
      if (/^\d+$/.test(raw) && Number.isSafeInteger(n) && n >= lo && n <= hi) {
        return n;
      }
      ctx.addIssue({ code: "custom", message, input: raw });
      return z.NEVER;
    })
    .openapi({
      type: "integer",
      minimum: lo,
      maximum: hi,
      default: dflt,
      description,
    });
}

const ISO_TIME =
  /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/;

/** An ISO 8601 time (or date) as ms since the epoch. */
const timeQuery = (description: string) =>
  z.string().optional()
    .transform((raw, ctx) => {
      if (raw === undefined) return undefined;
      const ms = Date.parse(raw);
      if (ISO_TIME.test(raw) && !Number.isNaN(ms)) return ms;
      ctx.addIssue({
        code: "custom",
        message: `"${raw}" is not an ISO 8601 time`,
        input: raw,
      });
      return z.NEVER;
    })
    .openapi({ type: "string", description });

/** GET /api/tests (and the history page): `target` must be a configured server. */
export function testListQuery(servers: readonly { id: string }[]) {
  const ids = new Set(servers.map((s) => s.id));
  return z.object({
    limit: intQuery(1, MAX_LIMIT, DEFAULT_LIMIT, "page size"),
    cursor: z.string().optional()
      .transform((raw, ctx) => {
        if (raw === undefined || raw === "") return null;
        const at = decodeCursor(raw);
        if (at) return at;
        ctx.addIssue({
          code: "custom",
          message: "not a cursor returned by this API",
          input: raw,
        });
        return z.NEVER;
      })
      .openapi({
        type: "string",
        description: "next_cursor of the previous page",
      }),
    target: z.string().optional().refine(
      (t) => t === undefined || ids.has(t),
      {
        error: (iss) => `unknown server "${iss.input}" (see GET /api/servers)`,
      },
    ).openapi({ description: "server id the test probed" }),
    status: testStatus.optional().openapi({ description: "test status" }),
    from: timeQuery("created_at at or after this ISO 8601 time"),
    to: timeQuery("created_at before this ISO 8601 time"),
  }).superRefine((q, ctx) => {
    if (q.from !== undefined && q.to !== undefined && q.from > q.to) {
      ctx.addIssue({
        code: "custom",
        path: ["to"],
        message: "must not be before from",
      });
    }
  });
}

/** The validated query as the listing takes it. */
export function listQueryOf(
  q: z.output<ReturnType<typeof testListQuery>>,
): TestListQuery {
  return {
    limit: q.limit,
    after: q.cursor,
    ...(q.target !== undefined ? { target: q.target } : {}),
    ...(q.status !== undefined ? { status: q.status } : {}),
    ...(q.from !== undefined ? { fromMs: q.from } : {}),
    ...(q.to !== undefined ? { toMs: q.to } : {}),
  };
}

export const samplesQuery = z.object({
  limit: intQuery(
    1,
    MAX_SAMPLES_LIMIT,
    DEFAULT_SAMPLES_LIMIT,
    "probes per page",
  ),
  cursor: z.string().optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw === "") return 0;
      const after = Number(raw);
      if (/^\d+$/.test(raw) && Number.isSafeInteger(after)) return after;
      ctx.addIssue({
        code: "custom",
        message: "must be a next_cursor value from a previous page",
        input: raw,
      });
      return z.NEVER;
    })
    .openapi({
      type: "string",
      description: "next_cursor of the previous page",
    }),
});

export const exportQuery = z.object({
  format: z.string().optional()
    .transform((raw, ctx): ExportFormat => {
      if (raw === undefined || raw === "") return "csv";
      if (raw === "csv" || raw === "json") return raw;
      ctx.addIssue({
        code: "custom",
        message: 'must be "csv" or "json"',
        input: raw,
      });
      return z.NEVER;
    })
    .openapi({ type: "string", enum: [...EXPORT_FORMATS], default: "csv" }),
  kind: z.string().optional()
    .transform((raw, ctx): ExportKind | undefined => {
      if (raw === undefined || raw === "") return undefined;
      if (raw === "probes" || raw === "hops") return raw;
      ctx.addIssue({
        code: "custom",
        message: 'must be "probes" or "hops"',
        input: raw,
      });
      return z.NEVER;
    })
    .openapi({
      type: "string",
      enum: [...EXPORT_KINDS],
      description:
        'probes: every probe and the summary; hops (path tests only): one row per hop per report (CSV) or the hop reports and the path summaries (JSON). Default: "hops" for a path test, "probes" for a ping test',
    }),
});

/** A Last-Event-ID value: digits only (no " 1", "0x10", "1e3" or past 2^53); empty is 0. */
const eventId = z.string().optional()
  .transform((raw, ctx) => {
    if (raw === undefined) return undefined;
    if (raw === "") return 0;
    if (/^\d{1,15}$/.test(raw)) return Number(raw);
    ctx.addIssue({
      code: "custom",
      message: "must be a non-negative integer",
      input: raw,
      params: { field: "Last-Event-ID" },
    });
    return z.NEVER;
  })
  .openapi({ type: "integer", minimum: 0 });

export const eventsQuery = z.object({
  probes: z.enum(["0", "1"], { error: "must be 0 or 1" }).optional()
    .openapi({ description: "0 leaves out probe events (default 1)" }),
  last_event_id: eventId.openapi({
    description: "for clients that cannot set the Last-Event-ID header",
  }),
});

export const eventsHeaders = z.object({
  "Last-Event-ID": eventId.openapi({
    description: "resume after this event id (EventSource sends it)",
  }),
});

export const auditQuery = z.object({
  limit: intQuery(1, MAX_LIMIT, DEFAULT_LIMIT, "page size"),
  cursor: z.string().optional().openapi({
    description: "next_cursor of the previous page",
  }),
});
