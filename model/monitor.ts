// Monitors: continuous watching of a configured server in steps (what
// SmokePing does), each step folded into a stored point; alert rules read the
// points; notifications go to webhooks. Shared by the config, the API, the
// store, the SSE stream and the page.
import { z } from "zod";
import { probeMode } from "./path.ts";
import { probeSpec } from "./probe.ts";

const ident = (what: string) =>
  z.string(`${what} must be text`).regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
    `${what} must be 1-64 letters, digits, '.', '_' or '-'`,
  );

export const monitorId = ident("monitor id");
export const notifyId = ident("notify id");

/** One alert rule: one threshold, held for `for_steps` consecutive steps. */
export const alertRule = z.object({
  name: ident("alert name"),
  loss_pct_above: z.number("loss_pct_above must be a number")
    .min(0, "loss_pct_above must be from 0 to 100")
    .max(100, "loss_pct_above must be from 0 to 100").optional(),
  median_rtt_ms_above: z.number("median_rtt_ms_above must be a number")
    .positive("median_rtt_ms_above must be positive").optional(),
  jitter_ms_above: z.number("jitter_ms_above must be a number")
    .positive("jitter_ms_above must be positive").optional(),
  /** TLS monitors: fires while the certificate expires in fewer days than this. */
  cert_days_left_below: z.number("cert_days_left_below must be a whole number")
    .int("cert_days_left_below must be a whole number")
    .min(-36_500, "cert_days_left_below must be from -36500 to 36500")
    .max(36_500, "cert_days_left_below must be from -36500 to 36500")
    .optional(),
  /** Consecutive bad steps to fire, and good steps to resolve (hysteresis). */
  for_steps: z.number("for_steps must be a whole number")
    .int("for_steps must be a whole number")
    .min(1, "for_steps must be at least 1")
    .max(10_000, "for_steps must be at most 10000").default(1),
  /** Notify targets (ids from `notify`). */
  notify: z.array(notifyId).max(20).default([]),
}).strict().refine(
  (r) =>
    [
      r.loss_pct_above,
      r.median_rtt_ms_above,
      r.jitter_ms_above,
      r.cert_days_left_below,
    ]
      .filter((x) => x !== undefined).length === 1,
  {
    message:
      "an alert needs exactly one of loss_pct_above, median_rtt_ms_above, jitter_ms_above, cert_days_left_below",
  },
);
export type AlertRule = z.infer<typeof alertRule>;

/** The metric and threshold of a rule. */
export function ruleMetric(
  r: AlertRule,
): {
  metric: "loss_pct" | "median_rtt_ms" | "jitter_ms" | "cert_days_left";
  threshold: number;
} {
  if (r.cert_days_left_below !== undefined) {
    return { metric: "cert_days_left", threshold: r.cert_days_left_below };
  }
  if (r.loss_pct_above !== undefined) {
    return { metric: "loss_pct", threshold: r.loss_pct_above };
  }
  if (r.median_rtt_ms_above !== undefined) {
    return { metric: "median_rtt_ms", threshold: r.median_rtt_ms_above };
  }
  return { metric: "jitter_ms", threshold: r.jitter_ms_above! };
}

/** A monitor as configured (config file) or created by an admin (API). */
export const monitorSpec = z.object({
  id: monitorId,
  /** A configured server id. */
  server: z.string("server must be a configured server id").min(1),
  mode: probeMode.default("ping"),
  /** One stored point per step. */
  step_s: z.number("step_s must be a whole number of seconds")
    .int("step_s must be a whole number of seconds")
    .min(1, "step_s must be at least 1")
    .max(86_400, "step_s must be at most 86400 (a day)").default(60),
  /** Probes per step, spread evenly over the step. */
  probes: z.number("probes must be a whole number")
    .int("probes must be a whole number")
    .min(1, "probes must be at least 1")
    .max(10_000, "probes must be at most 10000").default(20),
  timeout_ms: z.number("timeout_ms must be a number of milliseconds")
    .min(1, "timeout_ms must be at least 1")
    .max(60_000, "timeout_ms must be at most 60000").default(1000),
  size: z.number("size must be a whole number of bytes").int()
    .min(18, "size must be at least 18 bytes")
    .max(65_000, "size must be at most 65000 bytes").default(56),
  alerts: z.array(alertRule).max(50).default([]),
  /** The probe kind and port; absent: the server's own (`probe` in its config), else icmp. */
  probe: probeSpec.optional(),
}).strict().refine((m) => m.step_s * 1000 / m.probes >= 1, {
  message: "probes per step must leave at least 1 ms between probes",
  path: ["probes"],
}).refine(
  (m) => new Set(m.alerts.map((a) => a.name)).size === m.alerts.length,
  { message: "alert names must be unique within a monitor", path: ["alerts"] },
).refine(
  (m) => m.mode !== "path" || !m.probe || m.probe.kind === "icmp",
  { message: "path monitors probe with icmp only", path: ["probe"] },
);
export type MonitorSpec = z.infer<typeof monitorSpec>;

/** A notification target. Webhook URLs come only from the config or an admin. */
export const notifyTarget = z.object({
  id: notifyId,
  type: z.literal("webhook", { error: "type must be 'webhook'" }),
  url: z.url({
    protocol: /^https?$/,
    error: "url must be an http or https URL",
  }),
}).strict();
export type NotifyTarget = z.infer<typeof notifyTarget>;

/** How long each resolution is kept, days. */
export const monitorRetention = z.object({
  step_days: z.number().positive().max(3650).default(14),
  hour_days: z.number().positive().max(36_500).default(365),
  day_days: z.number().positive().max(36_500).default(1825),
}).strict();
export type MonitorRetention = z.infer<typeof monitorRetention>;

export const resolution = z.enum(["step", "hour", "day"], {
  error: "resolution must be 'step', 'hour' or 'day'",
});
export type Resolution = z.infer<typeof resolution>;

const ms = z.number().nullable();

/**
 * One stored point: a step (or an hour or day rolled up from steps). Counts
 * and loss are exact at every resolution; `hist` is the RTT distribution in
 * log-spaced buckets (mergeable), the deciles of a rollup come from it.
 */
export const monitorPoint = z.object({
  /** Start of the step (or hour, day), ms since the epoch. */
  t: z.number(),
  /** Length it covers, s. */
  span_s: z.number().positive(),
  sent: z.number().int().nonnegative(),
  received: z.number().int().nonnegative(),
  loss_pct: z.number(),
  late: z.number().int().nonnegative(),
  duplicates: z.number().int().nonnegative(),
  min_rtt_ms: ms,
  median_rtt_ms: ms,
  avg_rtt_ms: ms,
  max_rtt_ms: ms,
  /** p10, p20, ..., p90 of the RTTs (the smoke); empty when nothing answered. */
  deciles_ms: z.array(z.number()),
  jitter_ms: ms,
  /**
   * Pairs of successive answered probes the jitter is the mean over (so a
   * rollup weights each step's jitter exactly); absent: received - 1.
   */
  jitter_pairs: z.number().int().nonnegative().optional(),
  /** Sparse histogram: [bucket index, count] pairs (see monitor_histogram.ts). */
  hist: z.array(z.tuple([z.number().int(), z.number().int().positive()])),
  /** TLS monitors: the fewest days until expiry among the step's certificates (live points and alerts; not kept in storage). */
  cert_days_left: z.number().int().nullable().optional(),
});
export type MonitorPoint = z.infer<typeof monitorPoint>;

/** A gap: steps with no data (the service was down), never loss. */
export const monitorGap = z.object({ from: z.number(), to: z.number() });
export type MonitorGap = z.infer<typeof monitorGap>;

export const alertState = z.enum(["ok", "firing"]);
export type AlertState = z.infer<typeof alertState>;

/** An alert firing or resolving: the alert history, and what a webhook gets. */
export const alertEvent = z.object({
  id: z.string(),
  monitor: z.string(),
  server: z.string(),
  address: z.string().nullable(),
  alert: z.string(),
  state: alertState,
  metric: z.enum(["loss_pct", "median_rtt_ms", "jitter_ms", "cert_days_left"]),
  /** The value of the step that made the change. */
  value: z.number().nullable(),
  threshold: z.number(),
  /** When the condition started (firing) or the alert fired (resolved), ISO. */
  since: z.string(),
  /** When this change happened, ISO. */
  at: z.string(),
});
export type AlertEvent = z.infer<typeof alertEvent>;

/** One webhook delivery attempt of an alert event. */
export const deliveryRecord = z.object({
  alert_event: z.string(),
  notify: z.string(),
  attempt: z.number().int().min(1),
  at: z.string(),
  ok: z.boolean(),
  status: z.number().int().nullable(),
  error: z.string().nullable(),
});
export type DeliveryRecord = z.infer<typeof deliveryRecord>;

/** Where a monitor is defined: the config file (read-only in the API) or the API. */
export const monitorSource = z.enum(["config", "api"]);

/** A monitor as listed: its spec, server, state and latest figures. */
export const monitorStatus = z.object({
  id: z.string(),
  server: z.string(),
  server_name: z.string(),
  group: z.string(),
  /** The resolved address probed, null until resolved. */
  address: z.string().nullable(),
  mode: probeMode,
  /** TCP/TLS monitors: the kind and port probed (the monitor's, else its server's). */
  probe: probeSpec.optional(),
  step_s: z.number(),
  probes: z.number(),
  /** ok; alerting (a rule firing); no_data (no point in the last 2 steps). */
  state: z.enum(["ok", "alerting", "no_data"]),
  latest: monitorPoint.nullable(),
  /** Names of the rules firing now. */
  firing: z.array(z.string()),
  source: monitorSource,
});
export type MonitorStatus = z.infer<typeof monitorStatus>;

/** A path monitor's hop in a step: [hop, address or null, loss %, avg RTT ms or null]. */
export const monitorHopRow = z.tuple([
  z.number().int(),
  z.string().nullable(),
  z.number(),
  z.number().nullable(),
]);
export type MonitorHopRow = z.infer<typeof monitorHopRow>;

/** GET /api/monitors/:id: the status, the spec, and (path mode) the latest step's hops. */
export const monitorDetail = monitorStatus.extend({
  spec: monitorSpec,
  path: z.object({ t: z.number(), hops: z.array(monitorHopRow) }).nullable(),
});
export type MonitorDetail = z.infer<typeof monitorDetail>;

/** GET /api/monitors/:id/series: the points at the stored resolution that fits. */
export const monitorSeries = z.object({
  monitor: z.string(),
  resolution,
  from: z.number(),
  to: z.number(),
  points: z.array(monitorPoint),
  gaps: z.array(monitorGap),
});
export type MonitorSeries = z.infer<typeof monitorSeries>;

/** The monitors' SSE stream: a new point of a monitor. */
export const monitorPointEvent = z.object({
  monitor: z.string(),
  resolution,
  point: monitorPoint,
});
export type MonitorPointEvent = z.infer<typeof monitorPointEvent>;
