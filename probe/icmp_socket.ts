// The only module that touches the shim's pointers and memory layout.
import { abiSymbol, shimSymbols } from "./native/ffi_symbols.ts";
import {
  layoutMismatches,
  PLA,
  PLA_EVENT,
  PLA_SENT,
} from "./native/shim_layout.ts";
import { shimLibraryPath } from "./native/library_path.ts";
import {
  ERRNO,
  IcmpPermissionError,
  ShimError,
  ShimLayoutError,
  ShimLoadError,
} from "./icmp_errors.ts";
import type { Family } from "./ip_address.ts";

export type SocketMode = "dgram" | "raw";
const MODE_NAMES: Record<number, SocketMode> = {
  [PLA.MODE_DGRAM]: "dgram",
  [PLA.MODE_RAW]: "raw",
};
const MODE_CODES: Record<SocketMode, number> = {
  dgram: PLA.MODE_DGRAM,
  raw: PLA.MODE_RAW,
};

/** struct pla_event: 64 bytes. */
export const EVENT_SIZE = PLA_EVENT.size;
export const EVENT_REPLY = PLA.EV_REPLY;
export const EVENT_ERROR = PLA.EV_ERROR;
const BATCH = 256;
/** Room for pla_layout's text (about 1.1 kB today). */
const LAYOUT_TEXT_MAX = 16384;

export type ShimLib = Deno.DynamicLibrary<typeof shimSymbols>;
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

function dlopen<S extends Deno.ForeignLibraryInterface>(
  path: string,
  symbols: S,
): Deno.DynamicLibrary<S> {
  try {
    return Deno.dlopen(path, symbols);
  } catch (e) {
    throw new ShimLoadError(path, (e as Error).message);
  }
}

/**
 * Opens the library at `path` once its ABI version (asked alone first, so an
 * old library is named as such rather than by a missing symbol) and its
 * compiled layout (pla_layout) match this code.
 */
function openShim(path: string): ShimLib {
  const probe = dlopen(path, abiSymbol);
  const abi = probe.symbols.pla_abi_version();
  probe.close();
  if (abi !== PLA.ABI_VERSION) {
    throw new ShimLoadError(path, `ABI ${abi}, expected ${PLA.ABI_VERSION}`);
  }
  const lib = dlopen(path, shimSymbols);
  const buf = new Uint8Array(LAYOUT_TEXT_MAX);
  const n = lib.symbols.pla_layout(buf, buf.length);
  const mismatches = n < 0
    ? [`pla_layout failed: ${new ShimError("pla_layout", n).code}`]
    : layoutMismatches(new TextDecoder().decode(buf.subarray(0, n)));
  if (mismatches.length > 0) {
    lib.close();
    throw new ShimLayoutError(path, mismatches);
  }
  return lib;
}

/** The shim, loaded and checked once per process (probe/tcp/syn_socket.ts shares it). */
export function loadShim(): ShimLib {
  return shared ??= openShim(shimLibraryPath());
}

/**
 * Checks the library at `path` as loading does (ABI version, compiled layout)
 * and closes it again; throws ShimLoadError or ShimLayoutError.
 */
export function verifyShimLibrary(path: string = shimLibraryPath()): void {
  openShim(path).close();
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

const EV = PLA_EVENT.fields;
const SENT = PLA_SENT.fields;

/** A signed 64-bit little-endian integer as a number (exact up to 2^53). */
function i64(view: DataView, at: number): number {
  return view.getUint32(at, true) + view.getInt32(at + 4, true) * 2 ** 32;
}

/** An unsigned 64-bit little-endian integer as a number (exact up to 2^53). */
function u64(view: DataView, at: number): number {
  return view.getUint32(at, true) + view.getUint32(at + 4, true) * 2 ** 32;
}

function readEvent(
  view: DataView,
  bytes: Uint8Array,
  off: number,
  ev: IcmpEvent,
): void {
  ev.rxNs = i64(view, off + EV.rx_ns.at);
  ev.token = u64(view, off + EV.token.at);
  ev.kind = bytes[off + EV.kind.at];
  ev.family = bytes[off + EV.family.at] === 6 ? 6 : 4;
  ev.icmpType = bytes[off + EV.icmp_type.at];
  ev.icmpCode = bytes[off + EV.icmp_code.at];
  ev.seq = view.getUint16(off + EV.seq.at, true);
  ev.ident = view.getUint16(off + EV.ident.at, true);
  const ttl = view.getInt16(off + EV.ttl.at, true);
  ev.ttl = ttl < 0 ? null : ttl;
  ev.kernelTs = bytes[off + EV.ts_source.at] === PLA.TS_KERNEL;
  ev.hasToken = bytes[off + EV.has_token.at] === 1;
  ev.length = view.getUint32(off + EV.length.at, true);
  ev.from = bytes.subarray(off + EV.from.at, off + EV.from.at + EV.from.size);
  ev.dst = bytes.subarray(off + EV.dst.at, off + EV.dst.at + EV.dst.size);
}

/** Result of one send; reused between sends. */
export interface SendResult {
  /** Send time in ns since the socket's base. */
  txNs: number;
  kernelTs: boolean;
}

/**
 * The engine's ICMP endpoint: one IPv4 and one IPv6 socket, a batch receive
 * buffer, and at most one blocking wait on Deno's FFI thread pool. It keeps
 * the rules of "Threads" in pla_icmp.h: one pla_wait at a time (`#waiting`),
 * every other call on this thread, pla_destroy only once the wait is over.
 */
export class IcmpSocket {
  readonly #lib: ShimLib;
  #ctx: Deno.PointerValue;
  readonly #events = new Uint8Array(EVENT_SIZE * BATCH);
  readonly #view = new DataView(this.#events.buffer);
  readonly #out = new Uint8Array(PLA_SENT.size);
  readonly #outView = new DataView(this.#out.buffer);
  readonly #sent: SendResult = { txNs: 0, kernelTs: false };
  readonly #modes = new Map<Family, SocketMode>();
  #waiting: Promise<number> | null = null;
  /** Wall-clock ms of ns offset 0 (whole milliseconds). */
  readonly baseMs: number;

  private constructor(lib: ShimLib, ctx: Deno.PointerValue) {
    this.#lib = lib;
    this.#ctx = ctx;
    const base = Number(lib.symbols.pla_base_ms(ctx));
    if (base < 0) throw new ShimError("pla_base_ms", base);
    this.baseMs = base;
  }

  /**
   * Creates the endpoint; sockets open per family on first use. `cookie` (8
   * bytes, random by default) is fixed only by tests that build packets of ours.
   */
  static create(
    cookie: Uint8Array = crypto.getRandomValues(new Uint8Array(PLA.COOKIE_LEN)),
  ): IcmpSocket {
    if (cookie.length !== PLA.COOKIE_LEN) {
      throw new RangeError(`cookie must be ${PLA.COOKIE_LEN} bytes`);
    }
    const lib = loadShim();
    const err = new Int32Array(1);
    const ctx = lib.symbols.pla_create(cookie, cookie.length, err);
    if (ctx === null) {
      throw new ShimError("pla_create", err[0] || -ERRNO.ENOMEM);
    }
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
    if (r === -ERRNO.EPERM || r === -ERRNO.EACCES) {
      throw new IcmpPermissionError(family);
    }
    if (r < 0) throw new ShimError(`opening an ICMPv${family} socket`, r);
    const mode = MODE_NAMES[r];
    if (!mode) throw new Error(`pla_open returned an unknown mode ${r}`);
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

  /**
   * Sends one echo request; returns its send time (a reused object) or -errno
   * (a probe's own failure, not the socket's: `new ShimError(op, r)` names it).
   */
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
      addr.length,
      scopeId,
      seq,
      BigInt(token),
      size,
      ttl,
      this.#out,
      this.#out.length,
    );
    if (r < 0) return r;
    const v = this.#outView;
    this.#sent.txNs = i64(v, SENT.tx_ns.at);
    this.#sent.kernelTs = v.getInt32(SENT.ts_source.at, true) === PLA.TS_KERNEL;
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
    ).then((r) => {
      if (r < 0) throw new ShimError("pla_wait", r);
      return r;
    });
    this.#waiting = p;
    return p.finally(() => this.#waiting = null);
  }

  /** Ends a pending wait() now (or makes the next one return at once). */
  wake(): void {
    const r = this.#wake();
    // EAGAIN: the wake counter is full, so a wake is pending anyway.
    if (r < 0 && r !== -ERRNO.EAGAIN) throw new ShimError("pla_wake", r);
  }

  #wake(): number {
    return this.#ctx === null ? 0 : this.#lib.symbols.pla_wake(this.#ctx);
  }

  /** Reads every pending event without blocking, calling `each` with a reused object. */
  drain(each: (ev: IcmpEvent) => void): number {
    const ev = new IcmpEvent();
    let total = 0;
    for (;;) {
      const n = this.#lib.symbols.pla_recv(
        this.#live(),
        this.#events,
        this.#events.length,
      );
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
      buf.length,
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
      this.#wake();
      await this.#waiting.catch(() => {});
    }
    const ctx = this.#ctx;
    this.#ctx = null;
    this.#lib.symbols.pla_destroy(ctx);
  }
}
