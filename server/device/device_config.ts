// The config's `device_test` section: where the echo peer listens, who may
// run device tests, and the caps that bound what the server sends.
import { z } from "zod";
import { parseAddress } from "../../probe/ip_address.ts";

const portRange = z.string().regex(
  /^\d{1,5}-\d{1,5}$/,
  'ports must be a range like "40000-40100"',
).transform((s, ctx) => {
  const [first, last] = s.split("-").map(Number);
  if (first < 1024 || last > 65535 || first > last) {
    ctx.addIssue({
      code: "custom",
      message: "ports must be a range within 1024-65535, first ≤ last",
    });
    return z.NEVER;
  }
  return { first, last };
});

export const deviceTestConfig = z.object({
  enabled: z.boolean().default(true),
  /** UDP ports of the echo peer's candidates; default: any free port. */
  ports: portRange.optional(),
  /** Also offer candidates on this IPv4 address (1:1 NAT, a container's published ports). */
  public_address: z.string().refine(
    (a) => parseAddress(a)?.family === 4,
    "public_address must be an IPv4 address",
  ).optional(),
  /** The least role that may run a device test. */
  role: z.enum(["viewer", "operator", "admin"], {
    error: "role must be viewer, operator or admin",
  }).default("operator"),
  /** Device tests running at once, in all. */
  max_concurrent: z.number().int().min(1).max(1000).default(10),
  /** Device tests running at once from one client address. */
  max_per_client: z.number().int().min(1).max(100).default(2),
  /** Bytes per second echoed by all running device tests together (size × rate summed). */
  max_bytes_per_s: z.number().int().min(1200).max(1_000_000_000).default(
    4_000_000,
  ),
  /** A client silent this long (no probe, no report) ends its test `interrupted`. */
  idle_s: z.number().min(1).max(600).default(5),
  /** How long the data channels may take to open. */
  open_s: z.number().min(1).max(120).default(15),
}).strict();
export type DeviceTestConfig = z.infer<typeof deviceTestConfig>;
