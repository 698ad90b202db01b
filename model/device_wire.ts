// The device test's data-channel protocol, version 1 (no zod: the page and the
// terminal client bundle it). Probes travel on an unreliable channel
// ("pla-probe": ordered false, maxRetransmits 0); reports on a reliable one
// ("pla-control", JSON, checked by model/device.ts on the server).
//
// Probe, client -> server, `size` bytes (16 at least):
//   [0] version 1, [1] type (1 probe, 3 warm-up), [2..3] 0,
//   [4..7] seq u32, [8..15] client send time f64 ms (epoch), then padding.
// Echo, server -> client: the probe's own bytes with the header rewritten,
// so never larger than what came in:
//   [0] version 1, [1] type 2 (echo) or 4 (warm-up echo), [2..3] 0,
//   [4..7] seq u32, [8..11] server receive counter u32,
//   [12..15] server receive time u32, µs since the session opened.

export const WIRE_VERSION = 1;
export const T_PROBE = 1;
export const T_ECHO = 2;
export const T_WARMUP = 3;
export const T_WARMUP_ECHO = 4;
export const MIN_SIZE = 16;
export const MAX_SIZE = 1200;
export const PROBE_LABEL = "pla-probe";
export const CONTROL_LABEL = "pla-control";
/** Packets per results message: keeps control messages small (well under a probe). */
export const RESULTS_PER_MESSAGE = 40;

export interface ProbeMessage {
  type: number;
  seq: number;
  sentMs: number;
}

export interface EchoMessage {
  type: number;
  seq: number;
  counter: number;
  serverUs: number;
}

/** A probe of `size` bytes. */
export function encodeProbe(
  seq: number,
  sentMs: number,
  size: number,
  warmup = false,
): Uint8Array {
  const b = new Uint8Array(size);
  const v = new DataView(b.buffer);
  b[0] = WIRE_VERSION;
  b[1] = warmup ? T_WARMUP : T_PROBE;
  v.setUint32(4, seq >>> 0);
  v.setFloat64(8, sentMs);
  return b;
}

/** The probe's fields, or null when it is not a version-1 probe. */
export function decodeProbe(b: Uint8Array): ProbeMessage | null {
  if (b.length < MIN_SIZE || b[0] !== WIRE_VERSION) return null;
  if (b[1] !== T_PROBE && b[1] !== T_WARMUP) return null;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const sentMs = v.getFloat64(8);
  if (!Number.isFinite(sentMs)) return null;
  return { type: b[1], seq: v.getUint32(4), sentMs };
}

/** Rewrites a received probe in place into its echo. */
export function toEcho(
  b: Uint8Array,
  counter: number,
  serverUs: number,
): Uint8Array {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  b[1] = b[1] === T_WARMUP ? T_WARMUP_ECHO : T_ECHO;
  v.setUint32(8, counter >>> 0);
  v.setUint32(12, Math.max(0, Math.min(0xffffffff, Math.round(serverUs))));
  return b;
}

export function decodeEcho(b: Uint8Array): EchoMessage | null {
  if (b.length < MIN_SIZE || b[0] !== WIRE_VERSION) return null;
  if (b[1] !== T_ECHO && b[1] !== T_WARMUP_ECHO) return null;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return {
    type: b[1],
    seq: v.getUint32(4),
    counter: v.getUint32(8),
    serverUs: v.getUint32(12),
  };
}

/** Control messages, client -> server (JSON on the reliable channel). */
export type ClientControl =
  /** Settled packets: [seq, rtt in µs or -1 when no echo came back in time]. */
  | { t: "results"; packets: [number, number][] }
  /** Every probe sent (`sent` of them) and settled: the test is over. */
  | { t: "done"; sent: number }
  /** The user stopped the test early: it ends `stopped`. */
  | { t: "stop" };

/** Control messages, server -> client. */
export type ServerControl =
  | { t: "hello"; id: string; version: number }
  | { t: "end"; id: string; status: string };
