// Every /api route, defined once with zod: the same definitions validate the
// path, query and headers (server/http/validation.ts turns a failure into a
// 400 or 404), describe the responses, and generate GET /api/openapi.json.
// The POST /api/tests body is documented from `testRequest` and validated by
// the runner with it (every way of starting a test shares that check).
import { createRoute, type RouteConfig, z } from "@hono/zod-openapi";
import { probeRecord, probeStatus, targetStats } from "../../model/probe.ts";
import { problemBody } from "../../model/problem.ts";
import { targetReport, testMeta, testStatus } from "../../model/run.ts";
import { requiredRole, SESSION_COOKIE } from "../auth/auth.ts";
import { roleSchema } from "../auth/auth_config.ts";
import { serverEntry } from "../config/config.ts";
import { EXPORT_FORMATS, type ExportFormat } from "../runs/export.ts";
import { TEST_ID } from "../runs/run_id.ts";
import {
  decodeCursor,
  DEFAULT_LIMIT,
  MAX_LIMIT,
  type TestListQuery,
} from "../runs/run_list.ts";
import { testRequest } from "../runs/run_request.ts";
import { DEFAULT_SAMPLES_LIMIT, MAX_SAMPLES_LIMIT } from "../runs/samples.ts";

// ---- Named schemas (components) --------------------------------------------
// Named with zod's own .meta({ id }), which the generator reads as the
// component name: `.openapi()` exists only on schemas made after
// @hono/zod-openapi is loaded, and the model's are made before.

const Problem = problemBody.meta({ id: "Problem" });
const Server = serverEntry.meta({ id: "Server" });
const TestRequest = testRequest.meta({ id: "TestRequest" });
const TestMeta = testMeta.meta({ id: "TestMeta" });
const ProbeRecord = probeRecord.meta({ id: "ProbeRecord" });
const TargetStats = targetStats.meta({ id: "TargetStats" });
const TargetReport = targetReport.meta({ id: "TargetReport" });
const Links = z.object({
  self: z.string(),
  events: z.string(),
  stop: z.string(),
}).meta({ id: "Links" });
const AuditEntry = z.object({
  at: z.string(),
  action: z.enum(["start", "stop", "delete", "export"]),
  test_id: z.string(),
  who: z.string(),
  from: z.string(),
}).meta({ id: "AuditEntry" });
const Me = z.object({
  name: z.string(),
  role: roleSchema,
  via: z.enum(["open", "token", "session", "proxy"]),
  auth: z.enum(["open", "required"]),
}).meta({ id: "Me" });

/** Listed in the document whether or not a route refers to them. */
export const COMPONENTS: Record<string, z.ZodType> = {
  Server,
  TestRequest,
  TestMeta,
  ProbeRecord,
  TargetStats,
  TargetReport,
  AuditEntry,
  Links,
  Problem,
  Me,
};

export const SECURITY_SCHEMES = {
  bearerAuth: {
    type: "http",
    scheme: "bearer",
    description: "an API token from `deno task token`",
  },
  sessionCookie: {
    type: "apiKey",
    in: "cookie",
    name: SESSION_COOKIE,
    description: "set by POST /login (the sign-in form)",
  },
} as const;

// ---- Response bodies ---------------------------------------------------------

// A named schema with more fields: intersections, so the document says
// allOf [$ref, {...}] instead of copying the named one.
const testWithLinks = z.intersection(TestMeta, z.object({ links: Links }));

const testDetail = z.intersection(
  TestMeta,
  z.object({
    links: Links,
    /** Final per-target summary; null until the test has finished. */
    summary: z.array(TargetReport).nullable(),
    /** Live cumulative statistics while the test runs. */
    stats: z.array(TargetReport).optional(),
  }),
);

/** A probe as stored and streamed: with its ISO send time. */
const storedProbe = z.intersection(
  ProbeRecord,
  z.object({ timestamp: z.string().optional() }),
);

const samplesPage = z.object({
  id: z.string(),
  status: testStatus,
  probes: z.array(storedProbe),
  next_cursor: z.string().nullable(),
  has_more: z.boolean(),
  series: z.array(TargetReport).describe(
    "The interval reports sent between the cursor and the page's last probe (on the last page: to the end of the test); all pages together hold every report once",
  ),
});

/** A probe in an export: flat, the ICMP error spelled out (export.ts PROBE_COLUMNS). */
const exportProbe = z.object({
  timestamp: z.string(),
  target: z.string(),
  address: z.string(),
  index: z.number().int(),
  seq: z.number().int(),
  sent_at: z.number(),
  rtt_ms: z.number().nullable(),
  status: probeStatus,
  ttl: z.number().int().nullable(),
  ts_source: z.enum(["kernel", "user"]),
  icmp_type: z.number().int().nullable(),
  icmp_code: z.number().int().nullable(),
  icmp_from: z.string().nullable(),
  icmp_text: z.string().nullable(),
  error: z.string().nullable(),
});

const exportJson = z.object({
  test: TestMeta,
  probes: z.array(exportProbe),
  summary: z.array(TargetReport).nullable(),
});

// ---- Parameters ----------------------------------------------------------------

const idParams = z.object({
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

const exportQuery = z.object({
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

const eventsQuery = z.object({
  probes: z.enum(["0", "1"], { error: "must be 0 or 1" }).optional()
    .openapi({ description: "0 leaves out probe events (default 1)" }),
  last_event_id: eventId.openapi({
    description: "for clients that cannot set the Last-Event-ID header",
  }),
});

const eventsHeaders = z.object({
  "Last-Event-ID": eventId.openapi({
    description: "resume after this event id (EventSource sends it)",
  }),
});

const auditQuery = z.object({
  limit: intQuery(1, MAX_LIMIT, DEFAULT_LIMIT, "page size"),
  cursor: z.string().optional().openapi({
    description: "next_cursor of the previous page",
  }),
});

// ---- Routes ------------------------------------------------------------------

const json = <S extends z.ZodType>(schema: S, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

const problem = (description: string) => ({
  description,
  content: { "application/problem+json": { schema: Problem } },
});

/**
 * A route with the role it needs (`x-required-role`, as the auth middleware
 * decides it) and the errors any request can get: 401, 403, and 413 for a POST.
 */
function secured<const R extends RouteConfig>(r: R): R {
  const method = r.method.toUpperCase();
  return createRoute({
    ...r,
    "x-required-role": requiredRole(
      method,
      r.path.replace(/\{(\w+)\}/g, ":$1"),
    ),
    responses: {
      ...r.responses,
      401: problem("not authenticated (WWW-Authenticate: Bearer)"),
      403: problem("role too low, or a cross-site request"),
      ...(method === "POST" ? { 413: problem("body too large") } : {}),
    },
  }) as R;
}

export function apiRoutes(servers: readonly { id: string }[]) {
  return {
    me: secured({
      method: "get",
      path: "/api/me",
      summary: "Who the request is authenticated as, and the auth mode",
      responses: { 200: json(Me, "the principal") },
    }),
    servers: secured({
      method: "get",
      path: "/api/servers",
      summary: "The configured servers",
      responses: {
        200: json(z.object({ servers: z.array(Server) }), "servers"),
      },
    }),
    startTest: secured({
      method: "post",
      path: "/api/tests",
      summary: "Start a test",
      request: {
        body: {
          required: true,
          content: {
            "application/json": {
              schema: { $ref: "#/components/schemas/TestRequest" },
            },
          },
        },
      },
      responses: {
        201: {
          ...json(testWithLinks, "started"),
          headers: z.object({ Location: z.string() }),
        },
        400: problem("malformed JSON"),
        422: problem(
          "invalid request: schema, target policy or a per-test limit",
        ),
        429: {
          ...problem(
            "too many tests running (in total or for this user) or the global probe rate is reached",
          ),
          headers: z.object({
            "Retry-After": z.string().openapi({
              description: "seconds until a running test should have ended",
            }),
          }),
        },
        503: problem("storage cannot record a new test"),
      },
    }),
    listTests: secured({
      method: "get",
      path: "/api/tests",
      summary: "Test history, newest first",
      request: { query: testListQuery(servers) },
      responses: {
        200: json(
          z.object({
            tests: z.array(testWithLinks),
            next_cursor: z.string().nullable(),
          }),
          "one page",
        ),
        400: problem("bad query parameter"),
      },
    }),
    getTest: secured({
      method: "get",
      path: "/api/tests/{id}",
      summary:
        "A test: live statistics while it runs, its final summary once finished",
      request: { params: idParams },
      responses: {
        200: json(testDetail, "the test"),
        404: problem("no such test"),
      },
    }),
    deleteTest: secured({
      method: "delete",
      path: "/api/tests/{id}",
      summary: "Delete a finished test and its data",
      request: { params: idParams },
      responses: {
        204: { description: "deleted" },
        404: problem("no such test"),
        409: problem("still running"),
      },
    }),
    stopTest: secured({
      method: "post",
      path: "/api/tests/{id}/stop",
      summary: "Stop a running test",
      request: { params: idParams },
      responses: {
        202: json(testWithLinks, "stopping"),
        404: problem("no such test"),
        409: problem("already finished or stopping"),
      },
    }),
    samples: secured({
      method: "get",
      path: "/api/tests/{id}/samples",
      summary:
        "Stored probe records after a cursor, with the interval reports of that stretch",
      request: { params: idParams, query: samplesQuery },
      responses: {
        200: json(samplesPage, "one page"),
        400: problem("bad query parameter"),
        404: problem("no such test"),
      },
    }),
    exportTest: secured({
      method: "get",
      path: "/api/tests/{id}/export",
      summary: "Every probe and the summary, as CSV or JSON (attachment)",
      request: { params: idParams, query: exportQuery },
      responses: {
        200: {
          description:
            "the export (CSV: a `record` column, probe rows then summary rows)",
          content: {
            "text/csv": { schema: z.string() },
            "application/json": { schema: exportJson },
          },
        },
        400: problem("bad format"),
        404: problem("no such test"),
      },
    }),
    events: secured({
      method: "get",
      path: "/api/tests/{id}/events",
      summary:
        "Server-Sent Events: probe (ProbeRecord), interval and summary (TargetReport), status, end",
      request: {
        params: idParams,
        query: eventsQuery,
        headers: eventsHeaders,
      },
      responses: {
        200: {
          description: "event stream",
          content: { "text/event-stream": { schema: z.string() } },
        },
        400: problem("bad Last-Event-ID or probes"),
        404: problem("no such test"),
        429: {
          ...problem("too many open event streams for this client"),
          headers: z.object({ "Retry-After": z.string() }),
        },
      },
    }),
    audit: secured({
      method: "get",
      path: "/api/audit",
      summary: "Audit trail of start/stop/delete/export, newest first",
      request: { query: auditQuery },
      responses: {
        200: json(
          z.object({
            entries: z.array(AuditEntry),
            next_cursor: z.string().nullable(),
          }),
          "one page",
        ),
        400: problem("bad query parameter"),
      },
    }),
    openapi: secured({
      method: "get",
      path: "/api/openapi.json",
      summary: "This document",
      responses: {
        200: json(
          z.looseObject({ openapi: z.string() }),
          "OpenAPI 3.1 document",
        ),
      },
    }),
  };
}
