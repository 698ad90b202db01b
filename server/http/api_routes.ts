// Every /api route, defined once with zod: the same definitions validate the
// path, query and headers (server/http/validation.ts turns a failure into a
// 400 or 404), describe the responses, and generate GET /api/openapi.json.
// The POST /api/tests body is documented from `testRequest` and validated by
// the runner with it (every way of starting a test shares that check).
import { createRoute, type RouteConfig, z } from "@hono/zod-openapi";
import { requiredRole } from "../auth/auth.ts";

import {
  AuditEntry,
  exportHopsJson,
  exportJson,
  Me,
  Problem,
  samplesPage,
  Server,
  testDetail,
  testWithLinks,
} from "./api_schemas.ts";
import {
  auditQuery,
  eventsHeaders,
  eventsQuery,
  exportQuery,
  idParams,
  samplesQuery,
  testListQuery,
} from "./api_params.ts";

// ---- Routes ------------------------------------------------------------------

export const json = <S extends z.ZodType>(schema: S, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

export const problem = (description: string) => ({
  description,
  content: { "application/problem+json": { schema: Problem } },
});

/**
 * A route with the role it needs (`x-required-role`, as the auth middleware
 * decides it) and the errors any request can get: 401, 403, and 413 for a POST.
 */
export function secured<const R extends RouteConfig>(r: R): R {
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
      summary:
        "Every probe and the summary, or a path test's hops, as CSV or JSON (attachment)",
      request: { params: idParams, query: exportQuery },
      responses: {
        200: {
          description:
            "the export. kind=probes, CSV: a `record` column, probe rows then summary rows. kind=hops (path tests), CSV: one row per hop per report (timestamp, target, address, hop, hop_address, hop_addresses as `addr=count;addr=count`, sent, received, loss_pct, last/min/avg/max_rtt_ms, stdev_ms, jitter_ms, forwarded_loss)",
          content: {
            "text/csv": { schema: z.string() },
            "application/json": {
              schema: z.union([exportJson, exportHopsJson]),
            },
          },
        },
        400: problem("bad format or kind (hops of a ping test)"),
        404: problem("no such test"),
      },
    }),
    events: secured({
      method: "get",
      path: "/api/tests/{id}/events",
      summary:
        "Server-Sent Events: probe (ProbeRecord), interval and summary (TargetReport), status, end; a path test: hop (HopRecord, one per shown hop per target every report period and at the end), route_change (RouteChange), path (PathSummary, one per target at the end) instead of interval and summary",
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
