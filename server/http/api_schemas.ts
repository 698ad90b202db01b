// The API's named schemas (OpenAPI components) and response bodies, built
// from the model's zod schemas; used by api_routes.ts.
import { z } from "@hono/zod-openapi";
import {
  probeKind,
  probeRecord,
  probeStatus,
  targetStats,
  tcpAnswer,
} from "../../model/probe.ts";
import { problemBody } from "../../model/problem.ts";
import { hopRecord, pathSummary, routeChange } from "../../model/path.ts";
import { targetReport, testMeta, testStatus } from "../../model/run.ts";
import { deviceSummary } from "../../model/device.ts";
import { SESSION_COOKIE } from "../auth/auth.ts";
import { roleSchema } from "../auth/auth_config.ts";
import { serverEntry } from "../config/config.ts";
import { testRequest } from "../runs/run_request.ts";

// ---- Named schemas (components) --------------------------------------------
// Named with zod's own .meta({ id }), which the generator reads as the
// component name: `.openapi()` exists only on schemas made after
// @hono/zod-openapi is loaded, and the model's are made before.

export const Problem = problemBody.meta({ id: "Problem" });
export const Server = serverEntry.meta({ id: "Server" });
export const TestRequest = testRequest.meta({ id: "TestRequest" });
export const TestMeta = testMeta.meta({ id: "TestMeta" });
const ProbeRecord = probeRecord.meta({ id: "ProbeRecord" });
const TargetStats = targetStats.meta({ id: "TargetStats" });
const TargetReport = targetReport.meta({ id: "TargetReport" });
const HopRecord = hopRecord.meta({ id: "HopRecord" });
const RouteChange = routeChange.meta({ id: "RouteChange" });
const PathSummary = pathSummary.meta({ id: "PathSummary" });
const Links = z.object({
  self: z.string(),
  events: z.string(),
  stop: z.string(),
}).meta({ id: "Links" });
export const AuditEntry = z.object({
  at: z.string(),
  action: z.enum([
    "start",
    "stop",
    "delete",
    "export",
    "monitor_create",
    "monitor_update",
    "monitor_delete",
  ]),
  /** "" for a monitor action. */
  test_id: z.string(),
  monitor_id: z.string().optional(),
  who: z.string(),
  from: z.string(),
}).meta({ id: "AuditEntry" });
export const Me = z.object({
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
  HopRecord,
  RouteChange,
  PathSummary,
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
export const testWithLinks = z.intersection(
  TestMeta,
  z.object({ links: Links }),
);

export const testDetail = z.intersection(
  TestMeta,
  z.object({
    links: Links,
    /** Final per-target summary; null until the test has finished. A device test's is its `upload`, `download` and `round_trip`. */
    summary: z.union([
      z.array(TargetReport),
      deviceSummary.meta({ id: "DeviceSummary" }),
    ]).nullable(),
    /** Live cumulative statistics while the test runs. */
    stats: z.array(TargetReport).optional(),
    /** A path test's path per target: live while it runs, the final one after; null before it started. Absent for a ping test. */
    paths: z.array(PathSummary).nullable().optional(),
  }),
);

/** A probe as stored and streamed: with its ISO send time. */
const storedProbe = z.intersection(
  ProbeRecord,
  z.object({ timestamp: z.string().optional() }),
);

export const samplesPage = z.object({
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
  kind: probeKind,
  port: z.number().int().nullable(),
  tcp: tcpAnswer.nullable(),
  tls_connect_ms: z.number().nullable(),
  tls_handshake_ms: z.number().nullable(),
  tls_protocol: z.string().nullable(),
  tls_cipher: z.string().nullable(),
  cert_subject: z.string().nullable(),
  cert_issuer: z.string().nullable(),
  cert_valid_to: z.string().nullable(),
  cert_days_left: z.number().int().nullable(),
  cert_error: z.string().nullable(),
});

export const exportJson = z.object({
  test: TestMeta,
  probes: z.array(exportProbe),
  summary: z.array(TargetReport).nullable(),
});

/** `kind=hops` (a path test): every hop report in order, then the final path per target. */
export const exportHopsJson = z.object({
  test: TestMeta,
  hops: z.array(HopRecord),
  paths: z.array(PathSummary).nullable(),
});
