// The downsampled view of a test's probes (GET /api/tests/{id}/series) and its
// RTT distribution (GET /api/tests/{id}/distribution): the query and the
// response, shared by the API, its OpenAPI document and the page (types only).
import { z } from "zod";
import { testStatus } from "./run.ts";

export const SERIES_POINTS_MIN = 1;
export const SERIES_POINTS_MAX = 5000;
export const SERIES_POINTS_DEFAULT = 1000;

const TIME_HELP =
  "epoch milliseconds (digits) or an ISO 8601 time; default: the test's first (from) or last (to) probe";

/** A time as epoch ms: digits are epoch ms, anything else must be ISO 8601. */
const timeParam = (description: string) =>
  z.string().optional().transform((raw, ctx) => {
    if (raw === undefined || raw === "") return undefined;
    const ms = /^\d{1,16}$/.test(raw)
      ? Number(raw)
      : /^\d{4}-\d{2}-\d{2}/.test(raw)
      ? Date.parse(raw)
      : NaN;
    if (Number.isFinite(ms)) return ms;
    ctx.addIssue({
      code: "custom",
      message: `"${
        raw.slice(0, 40)
      }" is not a time (epoch milliseconds or ISO 8601)`,
      input: raw,
    });
    return z.NEVER;
  }).describe(description);

const pointsParam = z.string().optional().transform((raw, ctx) => {
  if (raw === undefined || raw === "") return SERIES_POINTS_DEFAULT;
  const n = Number(raw);
  if (/^\d+$/.test(raw) && n >= SERIES_POINTS_MIN && n <= SERIES_POINTS_MAX) {
    return n;
  }
  ctx.addIssue({
    code: "custom",
    message:
      `must be an integer from ${SERIES_POINTS_MIN} to ${SERIES_POINTS_MAX}`,
    input: raw,
  });
  return z.NEVER;
}).describe(
  `buckets wanted (${SERIES_POINTS_MIN} to ${SERIES_POINTS_MAX}, default ${SERIES_POINTS_DEFAULT}): about the chart's width in pixels`,
);

export const seriesQuery = z.object({
  from: timeParam(`start of the range, inclusive: ${TIME_HELP}`),
  to: timeParam(`end of the range, inclusive: ${TIME_HELP}`),
  points: pointsParam,
}).superRefine((q, ctx) => {
  if (q.from !== undefined && q.to !== undefined && q.from > q.to) {
    ctx.addIssue({
      code: "custom",
      path: ["from"],
      message: "must not be after to",
    });
  }
});
export type SeriesQuery = z.output<typeof seriesQuery>;
/** The range asked for: absent ends are the test's first and last probe. */
export interface SeriesRange {
  from?: number;
  to?: number;
  points: number;
}

const column = <T extends z.ZodType>(of: T, description: string) =>
  z.array(of).describe(description);

/**
 * One target's buckets as columns (position i of each array is bucket i).
 * Empty buckets are left out. In raw form every probe is its own bucket.
 */
export const targetSeries = z.object({
  target: z.string(),
  t: column(z.number(), "bucket start (raw: the probe's send time), epoch ms"),
  count: column(z.number().int(), "probes sent in the bucket"),
  received: column(z.number().int(), "probes answered in time (status ok)"),
  lost: column(
    z.number().int(),
    "probes lost, late or failed (> 0: the chart marks the bucket)",
  ),
  min: column(z.number().nullable(), "lowest RTT of the bucket, ms"),
  max: column(z.number().nullable(), "highest RTT of the bucket, ms"),
  median: column(
    z.number().nullable(),
    "exact median RTT of the bucket's replies, ms",
  ),
  loss_pct: column(z.number(), "lost / count, %"),
  jitter: column(
    z.number().nullable(),
    "mean |RTT(i) - RTT(i-1)| over successive replies in the bucket, ms",
  ),
  index: column(z.number().int(), "raw only: the probe's number").optional(),
  status: column(
    z.enum(["ok", "lost", "late", "error"]),
    "raw only: the probe's fate",
  ).optional(),
});
export type TargetSeries = z.infer<typeof targetSeries>;

export const seriesResponse = z.object({
  id: z.string(),
  status: testStatus,
  /** The range served, epoch ms, inclusive. */
  from: z.number(),
  to: z.number(),
  points: z.number().int(),
  /** Width of a bucket, ms (0 when raw). */
  bucket_ms: z.number(),
  /** True when the range holds no more probes per target than `points`: single probes. */
  raw: z.boolean(),
  /** Probes in the range, all targets. */
  probes: z.number().int(),
  targets: z.array(targetSeries),
});
export type SeriesResponse = z.infer<typeof seriesResponse>;

/** Percentiles of the CDF: 0, 1, ..., 100. */
export const CDF_STEPS = 100;

export const targetDistribution = z.object({
  target: z.string(),
  sent: z.number().int(),
  received: z.number().int(),
  lost: z.number().int(),
  /** The RTT at percentile p (nearest rank over the replies), p = 0..100. */
  cdf: z.object({
    p: z.array(z.number()),
    rtt_ms: z.array(z.number()),
  }),
});
export type TargetDistribution = z.infer<typeof targetDistribution>;

export const distributionResponse = z.object({
  id: z.string(),
  status: testStatus,
  targets: z.array(targetDistribution),
});
export type DistributionResponse = z.infer<typeof distributionResponse>;
