// The body of POST /api/tests, validated against the schema and the config limits.
import { z } from "zod";
import { type ProbeSettings, probeSettings } from "../probe/schemas.ts";
import type { Config, ServerEntry } from "./config.ts";
import { ApiError } from "./problem.ts";

const s = probeSettings.shape;
export const testRequest = z.object({
  targets: z.array(z.string(), "targets must be a list of server ids").min(
    1,
    "targets must name at least one server",
  ),
  interval_ms: s.interval_ms.optional(),
  duration_s: s.duration_s,
  count: s.count,
  timeout_ms: s.timeout_ms.optional(),
  size: s.size.optional(),
  ttl: s.ttl,
}).strict();
export type TestRequest = z.infer<typeof testRequest>;

export interface ValidRequest {
  servers: ServerEntry[];
  settings: ProbeSettings;
}

const fieldOf = (path: PropertyKey[]) =>
  path.length ? path.map(String).join(".") : "body";

/** Checks a parsed JSON body; throws ApiError 422 naming the field at fault. */
export function validateTestRequest(
  body: unknown,
  config: Config,
): ValidRequest {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new ApiError(422, "body must be a JSON object", "body");
  }
  const r = testRequest.safeParse(body);
  if (!r.success) {
    const issue = r.error.issues[0];
    const field = issue.code === "unrecognized_keys"
      ? issue.keys[0]
      : fieldOf(issue.path);
    throw new ApiError(422, `${field}: ${issue.message}`, field);
  }
  const req = r.data;
  const { limits, defaults } = config;
  const servers = req.targets.map((id, i) => {
    const server = config.servers.find((sv) => sv.id === id);
    if (!server) {
      throw new ApiError(
        422,
        `targets.${i}: unknown server "${id}" (see GET /api/servers)`,
        `targets.${i}`,
      );
    }
    return server;
  });
  if (new Set(req.targets).size !== req.targets.length) {
    throw new ApiError(422, "targets: a server is listed twice", "targets");
  }
  if (servers.length > limits.max_targets) {
    throw new ApiError(
      422,
      `targets: at most ${limits.max_targets} targets per test`,
      "targets",
    );
  }
  const interval = req.interval_ms ?? defaults.interval_ms;
  if (interval < limits.min_interval_ms) {
    throw new ApiError(
      422,
      `interval_ms: must be at least ${limits.min_interval_ms} ms`,
      "interval_ms",
    );
  }
  if (req.count !== undefined && req.duration_s !== undefined) {
    throw new ApiError(
      422,
      "count: give either duration_s or count, not both",
      "count",
    );
  }
  if (req.count === undefined && req.duration_s === undefined) {
    throw new ApiError(
      422,
      "duration_s: duration_s or count is required",
      "duration_s",
    );
  }
  if (req.duration_s !== undefined && req.duration_s > limits.max_duration_s) {
    throw new ApiError(
      422,
      `duration_s: at most ${limits.max_duration_s} s`,
      "duration_s",
    );
  }
  const probes = req.count ??
    Math.ceil((req.duration_s! * 1000) / interval);
  if (probes > limits.max_count) {
    throw new ApiError(
      422,
      `${
        req.count !== undefined ? "count" : "duration_s"
      }: at most ${limits.max_count} probes per target`,
      req.count !== undefined ? "count" : "duration_s",
    );
  }
  const settings: ProbeSettings = {
    interval_ms: interval,
    timeout_ms: req.timeout_ms ?? defaults.timeout_ms,
    size: req.size ?? defaults.size,
    ...(req.count !== undefined ? { count: req.count } : {}),
    ...(req.duration_s !== undefined ? { duration_s: req.duration_s } : {}),
    ...(req.ttl !== undefined ? { ttl: req.ttl } : {}),
  };
  return { servers, settings };
}
