// Path analysis (mtr-like): what one hop of a route looks like, a route
// change, and the verdict on a whole path. Shared by the CLI (`type: "hop"`,
// `"route_change"`, `"path"` records), the API, SSE, storage and the page.
import { z } from "zod";

/** The probing modes: one destination, or every hop up to it. */
export const probeMode = z.enum(["ping", "path"], {
  error: "mode must be 'ping' or 'path'",
});
export type ProbeMode = z.infer<typeof probeMode>;

export const DEFAULT_MAX_HOPS = 30;
export const MAX_HOPS_LIMIT = 64;

export const maxHops = z.number("max hops must be a whole number")
  .int("max hops must be a whole number")
  .min(1, "max hops must be at least 1")
  .max(MAX_HOPS_LIMIT, `max hops must be at most ${MAX_HOPS_LIMIT}`);

/** One address that answered at a hop, with how many probes it answered. */
export const hopAddress = z.object({
  address: z.string(),
  /** Reverse DNS name, null until (or unless) it resolved. */
  name: z.string().nullable(),
  received: z.number().int().nonnegative(),
});
export type HopAddress = z.infer<typeof hopAddress>;

const ms = z.number().nullable();

/** One hop, cumulative since the start of the test. */
export const hopRecord = z.object({
  timestamp: z.string(),
  target: z.string(),
  /** The destination address. */
  address: z.string(),
  /** TTL / hop limit of this hop's probes, 1-based. */
  hop: z.number().int().min(1),
  /** The address that answered most often; null while none has. */
  hop_address: z.string().nullable(),
  hop_addresses: z.array(hopAddress),
  sent: z.number().int().nonnegative(),
  received: z.number().int().nonnegative(),
  loss_pct: z.number(),
  last_rtt_ms: ms,
  min_rtt_ms: ms,
  avg_rtt_ms: ms,
  max_rtt_ms: ms,
  stdev_ms: ms,
  jitter_ms: ms,
  /** This hop's loss persists to the destination (false: it only does not answer everything). */
  forwarded_loss: z.boolean(),
});
export type HopRecord = z.infer<typeof hopRecord>;

/** A hop's answering address changed (a route change), at `timestamp`. */
export const routeChange = z.object({
  timestamp: z.string(),
  target: z.string(),
  address: z.string(),
  hop: z.number().int().min(1),
  from: z.string().nullable(),
  to: z.string(),
});
export type RouteChange = z.infer<typeof routeChange>;

/** The path of one target at the end (or now): the hops and the verdict. */
export const pathSummary = z.object({
  timestamp: z.string(),
  target: z.string(),
  address: z.string(),
  destination_reached: z.boolean(),
  /** The hop at which the destination answered; null while it has not. */
  destination_hop: z.number().int().min(1).nullable(),
  /** The first hop from which loss persists to the destination; null when the destination has no loss. */
  loss_origin: z.number().int().min(1).nullable(),
  route_changes: z.array(routeChange),
  hops: z.array(hopRecord),
});
export type PathSummary = z.infer<typeof pathSummary>;
