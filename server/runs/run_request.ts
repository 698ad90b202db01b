// The body of POST /api/tests, validated against the schema, the target
// policy and the config limits.
import { z } from "zod";
import { type ProbeSettings, probeSettings } from "../../model/probe.ts";
import { DEFAULT_MAX_HOPS } from "../../model/path.ts";
import type { Config } from "../config/config.ts";
import { checkRequestLimits } from "../policy/limits.ts";
import { InvalidRequestError } from "../errors.ts";
import { siteName } from "../../model/agent.ts";
import type { PolicyTarget, TargetPolicy } from "../policy/target_policy.ts";

const s = probeSettings.shape;
export const testRequest = z.object({
  /** Server ids; host names or IP addresses too when the config allows them. */
  targets: z.array(
    z.string().max(253),
    "targets must be a list of server ids",
  ).min(1, "targets must name at least one server").max(1000),
  interval_ms: s.interval_ms.optional(),
  duration_s: s.duration_s,
  count: s.count,
  timeout_ms: s.timeout_ms.optional(),
  size: s.size.optional(),
  ttl: s.ttl,
  /** "ping" (default): the destination only; "path": every hop up to it (mtr-like). */
  mode: s.mode,
  /** Path mode: the highest TTL probed, 1..64 (default 30). */
  max_hops: s.max_hops,
  /** Probe kind and port, e.g. {"kind": "tls", "port": 443}; default: the servers' own (config), else icmp. */
  probe: s.probe,
  /** Probe every target from each of these sites ("local": the service); default: each server's own site. */
  sites: z.array(siteName).min(1, "sites must name at least one site").max(
    16,
  ).optional(),
}).strict();
export type TestRequest = z.infer<typeof testRequest>;

export interface ValidRequest {
  targets: PolicyTarget[];
  settings: ProbeSettings;
  /** The request's `sites`, when given. */
  sites?: string[];
}

const fieldOf = (path: PropertyKey[]) =>
  path.length ? path.map(String).join(".") : "body";

/**
 * Checks a parsed JSON body against the schema, the target policy (literals;
 * names are resolved and checked by the runner) and the limits; throws
 * InvalidRequestError (422) naming the field at fault.
 */
export function validateTestRequest(
  body: unknown,
  config: Config,
  policy: TargetPolicy,
): ValidRequest {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new InvalidRequestError("body must be a JSON object", "body");
  }
  const r = testRequest.safeParse(body);
  if (!r.success) {
    const issue = r.error.issues[0];
    const field = issue.code === "unrecognized_keys"
      ? issue.keys[0]
      : fieldOf(issue.path);
    throw new InvalidRequestError(`${field}: ${issue.message}`, field);
  }
  const req = r.data;
  const { limits, defaults } = config;
  // Targets first: a forbidden address is refused whatever else is wrong.
  const targets = req.targets.map((t, i) => policy.classify(t, i));
  if (new Set(targets.map((t) => t.id)).size !== targets.length) {
    throw new InvalidRequestError(
      "targets: a target is listed twice",
      "targets",
    );
  }
  if (req.count !== undefined && req.duration_s !== undefined) {
    throw new InvalidRequestError(
      "count: give either duration_s or count, not both",
      "count",
    );
  }
  if (req.count === undefined && req.duration_s === undefined) {
    throw new InvalidRequestError(
      "duration_s: duration_s or count is required",
      "duration_s",
    );
  }
  const path = req.mode === "path";
  if (!path && req.max_hops !== undefined) {
    throw new InvalidRequestError(
      `max_hops: only for "mode": "path"`,
      "max_hops",
    );
  }
  if (path && req.ttl !== undefined) {
    throw new InvalidRequestError(
      `ttl: not with "mode": "path" (each hop has its own; see max_hops)`,
      "ttl",
    );
  }
  // The request's probe, else the one the servers share (config), else icmp.
  // Path tests probe with ICMP: the servers' own kinds do not apply to them.
  let probe = req.probe;
  if (probe === undefined && !path) {
    const own = targets.map((t) => JSON.stringify(t.probe ?? null));
    if (new Set(own).size > 1) {
      throw new InvalidRequestError(
        "probe: the servers are configured with different probe kinds; give probe or test them apart",
        "probe",
      );
    }
    probe = targets[0]?.probe;
  }
  if (probe?.kind === "icmp") probe = undefined;
  if (probe && path) {
    throw new InvalidRequestError(
      `probe: "mode": "path" probes with icmp only`,
      "probe",
    );
  }
  policy.checkPort(probe, "probe.port");
  const settings: ProbeSettings = {
    interval_ms: req.interval_ms ?? defaults.interval_ms,
    timeout_ms: req.timeout_ms ?? defaults.timeout_ms,
    size: req.size ?? defaults.size,
    ...(req.count !== undefined ? { count: req.count } : {}),
    ...(req.duration_s !== undefined ? { duration_s: req.duration_s } : {}),
    ...(req.ttl !== undefined ? { ttl: req.ttl } : {}),
    // A ping test's settings stay as they were (no mode: ping).
    ...(path
      ? { mode: "path" as const, max_hops: req.max_hops ?? DEFAULT_MAX_HOPS }
      : {}),
    ...(probe ? { probe } : {}),
  };
  if (req.sites && new Set(req.sites).size !== req.sites.length) {
    throw new InvalidRequestError("sites: a site is listed twice", "sites");
  }
  checkRequestLimits(
    settings,
    targets.length * (req.sites?.length ?? 1),
    limits,
  );
  return { targets, settings, ...(req.sites ? { sites: req.sites } : {}) };
}
