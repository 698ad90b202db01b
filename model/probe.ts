// The probe engine's shared vocabulary: one zod schema per concept, reused by
// the CLI, the API and the config; types derived with z.infer.
import { z } from "zod";
import "./zod_messages.ts";
import { maxHops, probeMode } from "./path.ts";

/** Fate of one probe. `late` and `error` count as lost; `duplicate` marks an extra reply. */
export const probeStatus = z.enum(["ok", "lost", "late", "duplicate", "error"]);
export type ProbeStatus = z.infer<typeof probeStatus>;

/** Where a probe's send and receive times came from: both from the kernel, or a user-space clock for at least one. */
export const timestampSource = z.enum(["kernel", "user"]);
export type TimestampSource = z.infer<typeof timestampSource>;

export const icmpErrorInfo = z.object({
  type: z.number().int(),
  code: z.number().int(),
  /** Address of the router or host that reported the error. */
  from: z.string(),
  /** Readable name, e.g. "destination unreachable (port)". */
  text: z.string(),
});
export type IcmpErrorInfo = z.infer<typeof icmpErrorInfo>;

/** What one probe is: an ICMP echo (the default), a TCP SYN, a TCP connect, or a TLS handshake. */
export const probeKind = z.enum(["icmp", "tcp-syn", "tcp-connect", "tls"], {
  error: "kind must be one of icmp, tcp-syn, tcp-connect, tls",
});
export type ProbeKind = z.infer<typeof probeKind>;

export const tcpPort = z.number("port must be a whole number from 1 to 65535")
  .int("port must be a whole number from 1 to 65535")
  .min(1, "port must be from 1 to 65535")
  .max(65535, "port must be from 1 to 65535");

/** A probe kind and, for the TCP kinds, the port; absent everywhere = icmp. */
export const probeSpec = z.object({
  kind: probeKind,
  port: tcpPort.optional(),
}).refine((p) => p.kind === "icmp" || p.port !== undefined, {
  message: "port is required for tcp-syn, tcp-connect and tls",
  path: ["port"],
}).refine((p) => p.kind !== "icmp" || p.port === undefined, {
  message: "port does not go with kind icmp",
  path: ["port"],
});
export type ProbeSpec = z.infer<typeof probeSpec>;

/** How a TCP probe was answered: SYN-ACK (the port listens) or RST (the host is there, the port closed). */
export const tcpAnswer = z.enum(["syn-ack", "rst"]);
export type TcpAnswer = z.infer<typeof tcpAnswer>;

/** A TLS probe's handshake: phases and what the server presented. */
export const tlsInfo = z.object({
  /** TCP connect, ms. */
  connect_ms: z.number(),
  /** TLS handshake after the connect, ms (null when it failed). */
  handshake_ms: z.number().nullable(),
  protocol: z.string().optional(),
  cipher: z.string().optional(),
  subject: z.string().optional(),
  issuer: z.string().optional(),
  /** Certificate expiry, ISO 8601. */
  valid_to: z.string().optional(),
  /** Whole days until the certificate expires (negative: expired). */
  days_left: z.number().int().optional(),
  /** Certificate verification: true when the chain and name check out. */
  authorized: z.boolean().optional(),
  /** Why verification failed, e.g. CERT_HAS_EXPIRED, DEPTH_ZERO_SELF_SIGNED_CERT, ERR_TLS_CERT_ALTNAME_INVALID. */
  cert_error: z.string().optional(),
});
export type TlsInfo = z.infer<typeof tlsInfo>;

/** A target's latest TLS handshake: what the test page's TLS panel shows. */
export interface LatestTls {
  /** Probe number it came from. */
  index: number;
  tls: TlsInfo;
  /** The probe's error (e.g. CERT_HAS_EXPIRED), null when it passed. */
  error: string | null;
}

/** One probe as reported: on the CLI (`type: "probe"`), over SSE and in storage. */
export const probeRecord = z.object({
  target: z.string(),
  address: z.string(),
  /** 0-based probe number within this target. */
  index: z.number().int().nonnegative(),
  /** ICMP sequence number exactly as on the wire. */
  seq: z.number().int().min(0).max(65535),
  /** Send time, milliseconds since the epoch, microsecond resolution. */
  sent_at: z.number(),
  rtt_ms: z.number().nullable(),
  status: probeStatus,
  ttl: z.number().int().nullable(),
  ts_source: timestampSource,
  icmp: icmpErrorInfo.optional(),
  /** Local send failure (e.g. ENETUNREACH), for status `error` without an ICMP message. */
  error: z.string().optional(),
  /** Path mode: the probe's TTL / hop limit (1-based hop number). */
  hop: z.number().int().min(1).optional(),
  /** Path mode: the router that answered ("time exceeded"), when not the destination. */
  from: z.string().optional(),
  /** Probe kind, for kinds other than icmp. */
  kind: probeKind.optional(),
  /** TCP kinds: the destination port. */
  port: tcpPort.optional(),
  /** tcp-syn: what answered the SYN. */
  tcp: tcpAnswer.optional(),
  /** tls: the handshake phases and certificate. */
  tls: tlsInfo.optional(),
});
export type ProbeRecord = z.infer<typeof probeRecord>;

/** Every statistic of one target; see README "Statistics" for the definitions. */
export const targetStats = z.object({
  sent: z.number().int(),
  received: z.number().int(),
  lost: z.number().int(),
  loss_pct: z.number(),
  duplicates: z.number().int(),
  late: z.number().int(),
  errors: z.number().int(),
  reordered: z.number().int(),
  pending: z.number().int(),
  min_rtt_ms: z.number().nullable(),
  avg_rtt_ms: z.number().nullable(),
  max_rtt_ms: z.number().nullable(),
  mdev_ms: z.number().nullable(),
  median_rtt_ms: z.number().nullable(),
  p95_rtt_ms: z.number().nullable(),
  p99_rtt_ms: z.number().nullable(),
  jitter_ms: z.number().nullable(),
  jitter_rfc3550_ms: z.number().nullable(),
  loss_bursts: z.number().int(),
  longest_loss_burst: z.number().int(),
  outages: z.number().int(),
  outage_ms: z.number(),
  mos: z.number().nullable(),
});
export type TargetStats = z.infer<typeof targetStats>;

/** Input to the statistics: what is known about one probe so far. */
export interface ProbeOutcome {
  /** 0-based send order. */
  index: number;
  /** `pending` until answered or timed out. */
  status: "ok" | "lost" | "late" | "error" | "pending";
  /** RTT of the first reply (also for `late`), else null. */
  rtt_ms: number | null;
  /** Send time, ms since the epoch. */
  sent_ms: number;
  /** Arrival time of the first reply, ms since the epoch, else null. */
  received_ms: number | null;
  /** Extra replies after the first. */
  duplicates: number;
}

/** Settings of one probing run, shared by CLI, API and config. */
export const probeSettings = z.object({
  interval_ms: z.number("interval must be a number of milliseconds")
    .min(1, "interval must be at least 1 ms")
    .max(3_600_000, "interval must be at most 1 h (3600000 ms)"),
  count: z.number("count must be a whole number")
    .int("count must be a whole number")
    .min(1, "count must be at least 1")
    .max(100_000_000, "count must be at most 100000000")
    .optional(),
  duration_s: z.number("duration must be a number of seconds")
    .positive("duration must be positive")
    .max(31 * 86400, "duration must be at most 31 days (2678400 s)")
    .optional(),
  timeout_ms: z.number("timeout must be a number of milliseconds")
    .min(1, "timeout must be at least 1 ms")
    .max(60_000, "timeout must be at most 60000 ms"),
  /** ICMP payload bytes; 18 carry the engine's cookie, probe token and flow word. */
  size: z.number("size must be a whole number of bytes")
    .int("size must be a whole number of bytes")
    .min(18, "size must be at least 18 bytes")
    .max(65_000, "size must be at most 65000 bytes"),
  ttl: z.number("ttl must be a whole number from 1 to 255")
    .int("ttl must be a whole number from 1 to 255")
    .min(1, "ttl must be from 1 to 255")
    .max(255, "ttl must be from 1 to 255")
    .optional(),
  /** "ping" (the default): the destination only; "path": every hop up to it. */
  mode: probeMode.optional(),
  /** Path mode: the highest TTL probed (default 30). */
  max_hops: maxHops.optional(),
  /** The probe kind and port; absent = icmp. */
  probe: probeSpec.optional(),
});
export type ProbeSettings = z.infer<typeof probeSettings>;
