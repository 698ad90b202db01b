// GET /api/openapi.json: an OpenAPI 3.1 document built from the same zod
// schemas the API validates and emits.
import { z } from "zod";
import { probeRecord, targetStats } from "../../model/probe.ts";
import { serverEntry } from "../config/config.ts";
import { targetReport, testMeta, testStatus } from "../../model/run.ts";
import { testRequest } from "../runs/run_request.ts";
import { requiredRole, SESSION_COOKIE } from "../auth/auth.ts";
import { roleSchema } from "../auth/auth_config.ts";

export const problemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  field: z.string().optional(),
});

export const auditEntrySchema = z.object({
  at: z.string(),
  action: z.enum(["start", "stop", "delete", "export"]),
  test_id: z.string(),
  who: z.string(),
  from: z.string(),
});

export const meSchema = z.object({
  name: z.string(),
  role: roleSchema,
  via: z.enum(["open", "token", "session", "proxy"]),
  auth: z.enum(["open", "required"]),
});

const links = z.object({
  self: z.string(),
  events: z.string(),
  stop: z.string(),
});

function schema(s: z.ZodType, io: "input" | "output" = "output") {
  const { $schema: _, ...rest } = z.toJSONSchema(s, {
    io,
    unrepresentable: "any",
  }) as Record<string, unknown>;
  return rest;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (s: unknown) => ({ "application/json": { schema: s } });
const problem = (description: string) => ({
  description,
  content: { "application/problem+json": { schema: ref("Problem") } },
});
const idParam = {
  name: "id",
  in: "path",
  required: true,
  schema: { type: "string" },
};
const query = (name: string, description: string, s: unknown = {
  type: "string",
}) => ({ name, in: "query", required: false, description, schema: s });

type Operation =
  & { responses: Record<string, unknown> }
  & Record<string, unknown>;

/** Every operation: the role it needs, and the auth and limit errors any request can get. */
function withSecurity(paths: Record<string, Record<string, Operation>>) {
  for (const [path, ops] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(ops)) {
      op["x-required-role"] = requiredRole(
        method.toUpperCase(),
        path.replace(/\{(\w+)\}/g, ":$1"),
      );
      op.responses[401] ??= problem(
        "not authenticated (WWW-Authenticate: Bearer)",
      );
      op.responses[403] ??= problem("role too low, or a cross-site request");
      if (method === "post") op.responses[413] ??= problem("body too large");
    }
  }
  return paths;
}

export function openApiDocument(): Record<string, unknown> {
  const withLinks = {
    allOf: [ref("TestMeta"), {
      type: "object",
      properties: { links: ref("Links") },
    }],
  };
  return {
    openapi: "3.1.0",
    info: { title: "packet-loss-analyzer", version: "1" },
    // A Bearer token or the session cookie from /login (none when auth is open).
    security: [{ bearerAuth: [] }, { sessionCookie: [] }],
    paths: withSecurity({
      "/api/me": {
        get: {
          summary: "Who the request is authenticated as, and the auth mode",
          responses: {
            200: { description: "the principal", content: json(ref("Me")) },
          },
        },
      },
      "/api/servers": {
        get: {
          summary: "The configured servers",
          responses: {
            200: {
              description: "servers",
              content: json({
                type: "object",
                properties: {
                  servers: { type: "array", items: ref("Server") },
                },
              }),
            },
          },
        },
      },
      "/api/tests": {
        post: {
          summary: "Start a test",
          requestBody: { required: true, content: json(ref("TestRequest")) },
          responses: {
            201: { description: "started", content: json(withLinks) },
            400: problem("malformed JSON"),
            422: problem("invalid request"),
            429: problem(
              "too many tests running (in total or for this user) or the global probe rate is reached; Retry-After says when to retry",
            ),
          },
        },
        get: {
          summary: "Test history, newest first",
          parameters: [
            query("limit", "page size (1-1000, default 50)", {
              type: "integer",
              minimum: 1,
              maximum: 1000,
            }),
            query("cursor", "next_cursor of the previous page"),
            query("target", "server id the test probed"),
            query("status", "test status", schema(testStatus)),
            query("from", "created_at at or after this ISO time"),
            query("to", "created_at before this ISO time"),
          ],
          responses: {
            200: {
              description: "one page",
              content: json({
                type: "object",
                properties: {
                  tests: { type: "array", items: withLinks },
                  next_cursor: { type: ["string", "null"] },
                },
              }),
            },
            400: problem("bad query parameter"),
          },
        },
      },
      "/api/tests/{id}": {
        get: {
          summary: "A test with its final summary",
          parameters: [idParam],
          responses: {
            200: {
              description: "the test",
              content: json({
                allOf: [withLinks, {
                  type: "object",
                  properties: {
                    summary: {
                      anyOf: [
                        { type: "array", items: ref("TargetReport") },
                        { type: "null" },
                      ],
                    },
                  },
                }],
              }),
            },
            404: problem("no such test"),
          },
        },
        delete: {
          summary: "Delete a finished test",
          parameters: [idParam],
          responses: {
            204: { description: "deleted" },
            404: problem("no such test"),
            409: problem("still running"),
          },
        },
      },
      "/api/tests/{id}/stop": {
        post: {
          summary: "Stop a running test",
          parameters: [idParam],
          responses: {
            202: { description: "stopping", content: json(withLinks) },
            404: problem("no such test"),
            409: problem("already finished"),
          },
        },
      },
      "/api/tests/{id}/samples": {
        get: {
          summary:
            "Stored probe records after a cursor, with the per-second series",
          parameters: [
            idParam,
            query("limit", "probes per page (1-10000, default 1000)", {
              type: "integer",
              minimum: 1,
              maximum: 10_000,
            }),
            query("cursor", "next_cursor of the previous page"),
          ],
          responses: {
            200: {
              description: "one page",
              content: json({
                type: "object",
                properties: {
                  id: { type: "string" },
                  status: schema(testStatus),
                  probes: {
                    type: "array",
                    items: ref("ProbeRecord"),
                  },
                  next_cursor: { type: ["string", "null"] },
                  series: { type: "array", items: ref("TargetReport") },
                },
              }),
            },
            400: problem("bad query parameter"),
            404: problem("no such test"),
          },
        },
      },
      "/api/tests/{id}/export": {
        get: {
          summary: "Every probe and the summary, as CSV or JSON (attachment)",
          parameters: [
            idParam,
            query("format", "csv (default) or json", {
              type: "string",
              enum: ["csv", "json"],
            }),
          ],
          responses: {
            200: {
              description: "the export",
              content: {
                "text/csv": { schema: { type: "string" } },
                "application/json": {
                  schema: {
                    type: "object",
                    properties: {
                      test: ref("TestMeta"),
                      probes: { type: "array", items: ref("ProbeRecord") },
                      summary: {
                        anyOf: [
                          { type: "array", items: ref("TargetReport") },
                          { type: "null" },
                        ],
                      },
                    },
                  },
                },
              },
            },
            400: problem("bad format"),
            404: problem("no such test"),
          },
        },
      },
      "/api/tests/{id}/events": {
        get: {
          summary:
            "Server-Sent Events: probe (ProbeRecord), interval and summary (TargetReport), status, end",
          parameters: [
            idParam,
            query("probes", "0 leaves out probe events (default 1)", {
              type: "string",
              enum: ["0", "1"],
            }),
            {
              name: "Last-Event-ID",
              in: "header",
              required: false,
              schema: { type: "integer", minimum: 0 },
            },
          ],
          responses: {
            200: {
              description: "event stream",
              content: { "text/event-stream": { schema: { type: "string" } } },
            },
            400: problem("bad Last-Event-ID"),
            404: problem("no such test"),
            429: problem("too many open event streams for this client"),
          },
        },
      },
      "/api/audit": {
        get: {
          summary: "Audit trail, newest first",
          parameters: [
            query("limit", "page size (1-1000, default 50)", {
              type: "integer",
              minimum: 1,
              maximum: 1000,
            }),
            query("cursor", "next_cursor of the previous page"),
          ],
          responses: {
            200: {
              description: "one page",
              content: json({
                type: "object",
                properties: {
                  entries: { type: "array", items: ref("AuditEntry") },
                  next_cursor: { type: ["string", "null"] },
                },
              }),
            },
            400: problem("bad query parameter"),
          },
        },
      },
      "/api/openapi.json": {
        get: {
          summary: "This document",
          responses: { 200: { description: "OpenAPI 3.1 document" } },
        },
      },
    }),
    components: {
      securitySchemes: {
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
      },
      schemas: {
        Server: schema(serverEntry),
        TestRequest: schema(testRequest, "input"),
        TestMeta: schema(testMeta),
        ProbeRecord: schema(probeRecord),
        TargetStats: schema(targetStats),
        TargetReport: schema(targetReport),
        AuditEntry: schema(auditEntrySchema),
        Links: schema(links),
        Problem: schema(problemSchema),
        Me: schema(meSchema),
      },
    },
  };
}
