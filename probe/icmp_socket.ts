// The only module that touches the shim's pointers and memory layout.
import { SHIM_ABI_VERSION, shimSymbols } from "./native/ffi_symbols.ts";
import { shimLibraryPath } from "./native/library_path.ts";
import {
  IcmpPermissionError,
  ShimError,
  ShimLoadError,
} from "./icmp_errors.ts";
import type { Family } from "./ip_address.ts";

export type SocketMode = "dgram" | "raw";
const MODE_NAMES: Record<number, SocketMode> = { 1: "dgram", 2: "raw" };
const MODE_CODES: Record<SocketMode, number> = { dgram: 1, raw: 2 };

/** struct pla_event: 64 bytes. */
export const EVENT_SIZE = 64;
export const EVENT_REPLY = 1;
export const EVENT_ERROR = 2;
const BATCH = 256;

type ShimLib = Deno.DynamicLibrary<typeof shimSymbols>;
let shared: ShimLib | null = null;

/** The shim as this process found it: loaded, with its ABI version, or why not. */
export type ShimStatus =
  | { state: "loaded"; abi: number }
  | { state: "failed"; error: string };

/** Loads the shim if it is not yet (as the engine would) and says how that went. */
export function shimStatus(): ShimStatus {
  try {
    return { state: "loaded", abi: loadShim().symbols.pla_abi_version() };
  } catch (e) {
    return { state: "failed", error: (e as Error).message };
  }
}

function loadShim(): ShimLib {
  if (shared) return shared;
  const path = shimLibraryPath();
  let lib: ShimLib;
  try {
    lib = Deno.dlopen(path, shimSymbols);
  } catch (e) {
    throw new ShimLoadError(path, (e as Error).message);
  }
  const abi = lib.symbols.pla_abi_version();
  if (abi !== SHIM_ABI_VERSION) {
    lib.close();
    throw new ShimLoadError(path, `ABI ${abi}, expected ${SHIM_ABI_VERSION}`);
  }
  return shared = lib;
}

/** A decoded event; one object is reused for every event read (no per-packet garbage). */
export class IcmpEvent {
  kind = 0;
  family: Family = 4;
  icmpType = 0;
  icmpCode = 0;
  seq = 0;
  ident = 0;
  ttl: number | null = null;
  kernelTs = false;
  hasToken = false;
  /** Probe token (up to 2^53). */
  token = 0;
  /** Receive time in ns since the socket's base. */
  rxNs = 0;
  length = 0;
  /** Reply source or error reporter, 16 bytes (a view into the batch buffer). */
  from: Uint8Array = new Uint8Array(16);
  /** Destination of the echo request this event answers. */
  dst: Uint8Array = new Uint8Array(16);
}

function readEvent(
  view: DataView,
  bytes: Uint8Array,
  off: number,
  ev: IcmpEvent,
): void {
  ev.rxNs = view.getUint32(off, true) + view.getInt32(off + 4, true) * 2 ** 32;
  ev.token = view.getUint32(off + 8, true) +
    view.getUint32(off + 12, true) * 2 ** 32;
  ev.kind = bytes[off + 16];
  ev.family = bytes[off + 17] === 6 ? 6 : 4;
  ev.icmpType = bytes[off + 18];
  ev.icmpCode = bytes[off + 19];
  ev.seq = view.getUint16(off + 20, true);
  ev.ident = view.getUint16(off + 22, true);
  const ttl = view.getInt16(off + 24, true);
  ev.ttl = ttl < 0 ? null : ttl;
  ev.kernelTs = bytes[off + 26] === 0;
  ev.hasToken = bytes[off + 27] === 1;
  ev.length = view.getUint32(off + 28, true);
  ev.from = bytes.subarray(off + 32, off + 48);
  ev.dst = bytes.subarray(off + 48, off + 64);
}

/** Result of one send; reused between sends. */
export interface SendResult {
  /** Send time in ns since the socket's base. */
  txNs: number;
  kernelTs: boolean;
}

/**
 * The engine's ICMP endpoint: one IPv4 and one IPv6 socket, a batch receive
 * buffer, and at most one blocking wait on Deno's FFI thread pool.
 */
export class IcmpSocket {
  readonly #lib: ShimLib;
  #ctx: Deno.PointerValue;
  readonly #events = new Uint8Array(EVENT_SIZE * BATCH);
  readonly #view = new DataView(this.#events.buffer);
  readonly #out = new Uint8Array(16);
  readonly #outView = new DataView(this.#out.buffer);
  readonly #sent: SendResult = { txNs: 0, kernelTs: false };
  readonly #modes = new Map<Family, SocketMode>();
  #waiting: Promise<number> | null = null;
  /** Wall-clock ms of ns offset 0 (whole milliseconds). */
  readonly baseMs: number;

  private constructor(lib: ShimLib, ctx: Deno.PointerValue) {
    this.#lib = lib;
    this.#ctx = ctx;
    this.baseMs = Number(lib.symbols.pla_base_ms(ctx));
  }

  /**
   * Creates the endpoint; sockets open per family on first use. `cookie` (8
   * bytes, random by default) is fixed only by tests that build packets of ours.
   */
  static create(
    cookie: Uint8Array = crypto.getRandomValues(new Uint8Array(8)),
  ): IcmpSocket {
    if (cookie.length !== 8) throw new RangeError("cookie must be 8 bytes");
    const lib = loadShim();
    const ctx = lib.symbols.pla_create(cookie);
    if (ctx === null) throw new ShimError("pla_create", 12);
    return new IcmpSocket(lib, ctx);
  }

  #live(): Deno.PointerValue {
    if (this.#ctx === null) throw new Error("ICMP socket is closed");
    return this.#ctx;
  }

  /** Opens the family's socket (ping socket, else raw) and says which it got. */
  open(family: Family): SocketMode {
    const known = this.#modes.get(family);
    if (known) return known;
    const r = this.#lib.symbols.pla_open(this.#live(), family);
    if (r === -1 || r === -13) throw new IcmpPermissionError(family);
    if (r < 0) throw new ShimError(`opening an ICMPv${family} socket`, r);
    const mode = MODE_NAMES[r];
    this.#modes.set(family, mode);
    return mode;
  }

  mode(family: Family): SocketMode | undefined {
    return this.#modes.get(family);
  }

  /** ICMP identifier the family's socket sends with. */
  ident(family: Family): number {
    const r = this.#lib.symbols.pla_ident(this.#live(), family);
    if (r < 0) throw new ShimError("pla_ident", r);
    return r;
  }

  /** Sends one echo request; returns its send time (a reused object) or -errno. */
  send(
    family: Family,
    addr: Uint8Array,
    scopeId: number,
    seq: number,
    token: number,
    size: number,
    ttl: number,
  ): SendResult | number {
    const r = this.#lib.symbols.pla_send(
      this.#live(),
      family,
      addr,
      scopeId,
      seq,
      BigInt(token),
      size,
      ttl,
      this.#out,
    );
    if (r < 0) return r;
    const v = this.#outView;
    this.#sent.txNs = v.getUint32(0, true) + v.getInt32(4, true) * 2 ** 32;
    this.#sent.kernelTs = v.getInt32(8, true) === 0;
    return this.#sent;
  }

  /**
   * Waits up to `timeoutUs` (at most 1 s) for packets on a pool thread;
   * `wake()` ends it early. Once a packet is in, it waits up to `lingerUs`
   * more (within the timeout) so the next drain takes a batch.
   */
  wait(timeoutUs: number, lingerUs = 0): Promise<number> {
    if (this.#waiting) return this.#waiting;
    const p = this.#lib.symbols.pla_wait(
      this.#live(),
      Math.max(0, Math.min(1e6, Math.round(timeoutUs))),
      Math.max(0, Math.min(1e6, Math.round(lingerUs))),
    );
    this.#waiting = p;
    return p.finally(() => this.#waiting = null);
  }

  wake(): void {
    if (this.#ctx !== null) this.#lib.symbols.pla_wake(this.#ctx);
  }

  /** Reads every pending event without blocking, calling `each` with a reused object. */
  drain(each: (ev: IcmpEvent) => void): number {
    const ev = new IcmpEvent();
    let total = 0;
    for (;;) {
      const n = this.#lib.symbols.pla_recv(this.#live(), this.#events, BATCH);
      if (n < 0) throw new ShimError("pla_recv", n);
      for (let i = 0; i < n; i++) {
        readEvent(this.#view, this.#events, i * EVENT_SIZE, ev);
        each(ev);
      }
      total += n;
      if (n < BATCH) return total;
    }
  }

  /** Runs the shim's packet decoder on bytes as a socket would deliver them (for tests and fuzzing). */
  decode(
    family: Family,
    mode: SocketMode,
    packet: Uint8Array,
  ): IcmpEvent | null {
    const buf = new Uint8Array(EVENT_SIZE);
    const r = this.#lib.symbols.pla_decode(
      this.#live(),
      family,
      MODE_CODES[mode],
      packet,
      packet.length,
      buf,
    );
    if (r < 0) throw new ShimError("pla_decode", r);
    if (r === 0) return null;
    const ev = new IcmpEvent();
    readEvent(new DataView(buf.buffer), buf, 0, ev);
    return ev;
  }

  /** Closes the sockets once no wait is pending; no thread stays blocked. */
  async close(): Promise<void> {
    if (this.#ctx === null) return;
    while (this.#waiting) {
      this.wake();
      await this.#waiting.catch(() => {});
    }
    const ctx = this.#ctx;
    this.#ctx = null;
    this.#lib.symbols.pla_destroy(ctx);
  }
}
