// What is known about one test, live or stored: its settings, targets and status.
import { z } from "zod";
import { probeSettings, targetStats } from "./probe.ts";
import { deviceInfo } from "./device.ts";

export const testStatus = z.enum([
  "running",
  "completed",
  "stopped",
  "failed",
  "interrupted",
]);
export type TestStatus = z.infer<typeof testStatus>;

export const testTarget = z.object({
  /** Server id from the config. */
  id: z.string(),
  name: z.string(),
  host: z.string(),
  /** Resolved address, once known. */
  address: z.string().nullable(),
  /** The site whose agent probes it; absent: the service itself. */
  site: z.string().optional(),
});
export type TestTarget = z.infer<typeof testTarget>;

export const testMeta = z.object({
  id: z.string(),
  status: testStatus,
  created_at: z.string(),
  finished_at: z.string().nullable(),
  /** The user who started it ("anonymous" when auth is open). */
  created_by: z.string().optional(),
  settings: probeSettings,
  targets: z.array(testTarget),
  error: z.string().optional(),
  /** Absent or "probe": the service probes targets; "device": a browser or terminal client tested its own path (see `device`). */
  kind: z.enum(["probe", "device"]).optional(),
  /** A device test's settings, client and summary. */
  device: deviceInfo.optional(),
});
export type TestMeta = z.infer<typeof testMeta>;

/** Statistics of one target at a moment: an `interval` or `summary` event. */
export const targetReport = targetStats.extend({
  timestamp: z.string(),
  target: z.string(),
  address: z.string(),
});
export type TargetReport = z.infer<typeof targetReport>;
