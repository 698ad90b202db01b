// The memory layout and numbers shared with the native shim, written once for
// TypeScript. The C side pins the same numbers with _Static_assert in
// pla_icmp.h; at load time probe/icmp_socket.ts compares these with the table
// the library was compiled with (pla_layout) and refuses a library that
// differs (ShimLayoutError, naming each difference).
import { ERRNO } from "../icmp_errors.ts";

/** How a field is stored (arrays: the type of their elements). */
export type FieldType =
  | "i8"
  | "u8"
  | "i16"
  | "u16"
  | "i32"
  | "u32"
  | "i64"
  | "u64";

interface Field {
  /** Byte offset in the struct. */
  readonly at: number;
  /** Bytes: the type's size, or the whole array's. */
  readonly size: number;
  readonly type: FieldType;
}

interface Struct {
  readonly size: number;
  readonly fields: Readonly<Record<string, Field>>;
}

/** struct pla_event: one received reply or ICMP error. */
export const PLA_EVENT = {
  size: 64,
  fields: {
    rx_ns: { at: 0, size: 8, type: "i64" },
    token: { at: 8, size: 8, type: "u64" },
    kind: { at: 16, size: 1, type: "u8" },
    family: { at: 17, size: 1, type: "u8" },
    icmp_type: { at: 18, size: 1, type: "u8" },
    icmp_code: { at: 19, size: 1, type: "u8" },
    seq: { at: 20, size: 2, type: "u16" },
    ident: { at: 22, size: 2, type: "u16" },
    ttl: { at: 24, size: 2, type: "i16" },
    ts_source: { at: 26, size: 1, type: "u8" },
    has_token: { at: 27, size: 1, type: "u8" },
    length: { at: 28, size: 4, type: "u32" },
    from: { at: 32, size: 16, type: "u8" },
    dst: { at: 48, size: 16, type: "u8" },
  },
} as const satisfies Struct;

/** struct pla_sent: the result of one send. */
export const PLA_SENT = {
  size: 16,
  fields: {
    tx_ns: { at: 0, size: 8, type: "i64" },
    ts_source: { at: 8, size: 4, type: "i32" },
    reserved: { at: 12, size: 4, type: "i32" },
  },
} as const satisfies Struct;

/** struct pla_tcp_event: one SYN-ACK or RST answering a tcp-syn probe (pla_tcp.h). */
export const PLA_TCP_EVENT = {
  size: 40,
  fields: {
    rx_ns: { at: 0, size: 8, type: "i64" },
    ack: { at: 8, size: 4, type: "u32" },
    sport: { at: 12, size: 2, type: "u16" },
    dport: { at: 14, size: 2, type: "u16" },
    flags: { at: 16, size: 1, type: "u8" },
    family: { at: 17, size: 1, type: "u8" },
    ts_source: { at: 18, size: 1, type: "u8" },
    ttl: { at: 20, size: 2, type: "i16" },
    from: { at: 24, size: 16, type: "u8" },
  },
} as const satisfies Struct;

/** The shim's constants and enum values, under their C names. */
export const PLA = {
  ABI_VERSION: 5,
  /** The structs are in host byte order; this module reads little-endian. */
  LITTLE_ENDIAN: 1,
  COOKIE_LEN: 8,
  MIN_PAYLOAD: 18,
  MAX_PAYLOAD: 65000,
  MODE_DGRAM: 1,
  MODE_RAW: 2,
  EV_REPLY: 1,
  EV_ERROR: 2,
  TS_KERNEL: 0,
  TS_USER: 1,
  TCP_SYN: 0x02,
  TCP_RST: 0x04,
  TCP_ACK: 0x10,
} as const;

/** The table pla_layout() should produce, as key → value. */
export function expectedLayout(): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, value] of Object.entries(PLA)) {
    out.set(`PLA_${name}`, String(value));
  }
  const structs: [string, Struct][] = [
    ["pla_event", PLA_EVENT],
    ["pla_sent", PLA_SENT],
    ["pla_tcp_event", PLA_TCP_EVENT],
  ];
  for (const [name, s] of structs) {
    out.set(name, String(s.size));
    for (const [field, f] of Object.entries(s.fields)) {
      out.set(`${name}.${field}`, `${f.at} ${f.size} ${f.type}`);
    }
  }
  for (const [name, value] of Object.entries(ERRNO)) {
    out.set(`errno.${name}`, String(value));
  }
  return out;
}

/** Parses pla_layout()'s text: one "key value..." line each. */
export function parseLayout(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split("\n")) {
    const at = line.indexOf(" ");
    if (at > 0) out.set(line.slice(0, at), line.slice(at + 1).trim());
  }
  return out;
}

/** Every difference between the shim's table and this module, one line each (none: empty). */
export function layoutMismatches(nativeText: string): string[] {
  const native = parseLayout(nativeText);
  const expected = expectedLayout();
  const out: string[] = [];
  for (const [key, want] of expected) {
    const got = native.get(key);
    if (got === undefined) {
      out.push(`${key}: not in the shim (TypeScript has "${want}")`);
    } else if (got !== want) {
      out.push(`${key}: the shim has "${got}", TypeScript "${want}"`);
    }
  }
  for (const [key, got] of native) {
    if (!expected.has(key)) {
      out.push(`${key}: only in the shim ("${got}")`);
    }
  }
  return out;
}
