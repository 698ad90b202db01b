// Device tests (the user's own device against the server over WebRTC): the
// settings, the signalling request, the control messages and the summary,
// defined once for the API, the terminal client, the config and the store.
import { z } from "zod";
import "./zod_messages.ts";
import { DEVICE_PRESET_IDS, presetById } from "./device_presets.ts";
import { MAX_SIZE, MIN_SIZE, RESULTS_PER_MESSAGE } from "./device_wire.ts";

export const deviceSettings = z.object({
  size: z.number("size must be a whole number of bytes")
    .int("size must be a whole number of bytes")
    .min(MIN_SIZE, `size must be at least ${MIN_SIZE} bytes`)
    .max(MAX_SIZE, `size must be at most ${MAX_SIZE} bytes`),
  rate: z.number("rate must be a whole number of packets per second")
    .int("rate must be a whole number of packets per second")
    .min(1, "rate must be at least 1 packet/s")
    .max(300, "rate must be at most 300 packets/s"),
  duration_s: z.number("duration must be a number of seconds")
    .min(1, "duration must be at least 1 s")
    .max(180, "duration must be at most 180 s"),
  delay_ms: z.number("acceptable delay must be a number of milliseconds")
    .min(1, "acceptable delay must be at least 1 ms")
    .max(1000, "acceptable delay must be at most 1000 ms"),
  /** Seconds of probes sent first and not counted (connection settling). */
  warmup_s: z.number("warm-up must be a number of seconds")
    .min(0, "warm-up must be at least 0 s")
    .max(10, "warm-up must be at most 10 s")
    .default(0),
});
export type DeviceSettings = z.infer<typeof deviceSettings>;

export const devicePresetId = z.enum(DEVICE_PRESET_IDS, {
  error: `preset must be one of ${DEVICE_PRESET_IDS.join(", ")}`,
});

/** POST /api/device-tests: the browser's offer (candidates gathered) and the settings. */
export const deviceRequest = z.object({
  offer: z.object({
    type: z.literal("offer", "offer.type must be 'offer'"),
    sdp: z.string("offer.sdp must be a string").min(
      10,
      "offer.sdp is empty",
    ).max(20_000, "offer.sdp is longer than 20000 characters"),
  }),
  /** A preset's settings, each overridden by the fields given. */
  preset: devicePresetId.optional(),
  size: deviceSettings.shape.size.optional(),
  rate: deviceSettings.shape.rate.optional(),
  duration_s: deviceSettings.shape.duration_s.optional(),
  delay_ms: deviceSettings.shape.delay_ms.optional(),
  warmup_s: deviceSettings.shape.warmup_s.unwrap().optional(),
  /** What the client calls itself (browser name, "pla-cli"); else the User-Agent. */
  client: z.string().max(200, "client must be at most 200 characters")
    .optional(),
}).strict();
export type DeviceRequest = z.infer<typeof deviceRequest>;

/** The settings a request asks for: its preset (default voip) with its own fields over it. */
export function settingsOf(r: Omit<DeviceRequest, "offer">): DeviceSettings {
  const p = presetById(r.preset ?? "voip")!;
  return {
    size: r.size ?? p.size,
    rate: r.rate ?? p.rate,
    duration_s: r.duration_s ?? p.duration_s,
    delay_ms: r.delay_ms ?? p.delay_ms,
    warmup_s: r.warmup_s ?? 0,
  };
}

export const deviceAnswer = z.object({
  id: z.string(),
  answer: z.object({ type: z.literal("answer"), sdp: z.string() }),
  settings: deviceSettings,
  links: z.object({ self: z.string(), events: z.string(), page: z.string() }),
});

/** Control messages the server accepts (anything else is dropped and counted). */
export const clientControl = z.discriminatedUnion("t", [
  z.object({
    t: z.literal("results"),
    packets: z.array(
      z.tuple([
        z.number().int().min(0).max(0xffffffff),
        z.number().int().min(-1).max(3_600_000_000),
      ]),
    ).max(RESULTS_PER_MESSAGE),
  }).strict(),
  z.object({ t: z.literal("done"), sent: z.number().int().min(0) }).strict(),
  z.object({ t: z.literal("stop") }).strict(),
]);

const ms = z.number().nullable();

export const deviceUpload = z.object({
  /** Probes the client sent (its `done` count, or the highest seq seen + 1). */
  sent: z.number().int(),
  /** Probes the server received. */
  received: z.number().int(),
  lost: z.number().int(),
  loss_pct: z.number(),
  /** RFC 3550 interarrival jitter of client -> server transit. */
  jitter_ms: ms,
});
export const deviceDownload = z.object({
  /** Echoes the server sent (one per probe received). */
  echoed: z.number().int(),
  /** Echoes the client got back (late ones too). */
  received: z.number().int(),
  lost: z.number().int(),
  loss_pct: z.number(),
  /** RFC 3550 interarrival jitter of server -> client transit. */
  jitter_ms: ms,
});
export const deviceRoundTrip = z.object({
  sent: z.number().int(),
  /** Echoes back within the acceptable delay. */
  received: z.number().int(),
  /** Echoes back after the acceptable delay (counted as lost). */
  late: z.number().int(),
  lost: z.number().int(),
  loss_pct: z.number(),
  min_rtt_ms: ms,
  avg_rtt_ms: ms,
  median_rtt_ms: ms,
  p95_rtt_ms: ms,
  max_rtt_ms: ms,
  mos: ms,
});
export const deviceVerdict = z.object({
  preset: z.string(),
  pass: z.boolean(),
  /** What failed, e.g. "loss 2.5% > 1%"; empty when it passes. */
  reasons: z.array(z.string()),
});
export const deviceSummary = z.object({
  upload: deviceUpload,
  download: deviceDownload,
  round_trip: deviceRoundTrip,
  /** Malformed, oversized or over-rate data-channel messages dropped unanswered. */
  dropped_messages: z.number().int(),
  verdicts: z.array(deviceVerdict),
});
export type DeviceSummary = z.infer<typeof deviceSummary>;

/** What a device test's record holds besides a ping test's fields. */
export const deviceInfo = z.object({
  settings: deviceSettings,
  /** The client's address as the server saw it, and its browser or program. */
  client_address: z.string(),
  client: z.string(),
  /** Live while it runs, final once it ended. */
  summary: deviceSummary.nullable(),
});
export type DeviceInfo = z.infer<typeof deviceInfo>;

/** The `device` event: cumulative summary every report period, and the packets settled since. */
export const deviceEventData = z.object({
  timestamp: z.string(),
  summary: deviceSummary,
  /** Seqs lost on the way up / down since the previous device event. */
  lost_up: z.array(z.number().int()),
  lost_down: z.array(z.number().int()),
});
export type DeviceEventData = z.infer<typeof deviceEventData>;
