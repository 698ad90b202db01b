// The tcp-syn half of the shim (pla_tcp.h): the only module that touches its
// context pointer and event layout. One context per process, one blocking
// pla_tcp_wait at a time, pla_tcp_destroy only once no wait is pending.
import { loadShim, type ShimLib } from "../icmp_socket.ts";
import { PLA, PLA_SENT, PLA_TCP_EVENT } from "../native/shim_layout.ts";
import { ERRNO, ShimError, TcpSynPermissionError } from "../icmp_errors.ts";
import type { Family } from "../ip_address.ts";

export { TcpSynPermissionError } from "../icmp_errors.ts";

const EV = PLA_TCP_EVENT.fields;
const BATCH = 256;

/** One SYN-ACK or RST; the object is reused for every event read. */
export class SynEvent {
  rxNs = 0;
  ack = 0;
  /** The probed port that answered. */
  sport = 0;
  /** Our source port. */
  dport = 0;
  flags = 0;
  family: Family = 4;
  kernelTs = false;
  ttl: number | null = null;
  from: Uint8Array = new Uint8Array(16);
}

export interface SynSent {
  txNs: number;
  kernelTs: boolean;
}

export class SynSocket {
  readonly #lib: ShimLib;
  #ctx: Deno.PointerValue;
  readonly #events = new Uint8Array(PLA_TCP_EVENT.size * BATCH);
  readonly #view = new DataView(this.#events.buffer);
  readonly #out = new Uint8Array(PLA_SENT.size);
  readonly #outView = new DataView(this.#out.buffer);
  readonly #src = new Uint8Array(16);
  readonly #ev = new SynEvent();
  readonly #open = new Set<Family>();
  #waiting: Promise<number> | null = null;
  readonly baseMs: number;

  constructor() {
    this.#lib = loadShim();
    const err = new Int32Array(1);
    const ctx = this.#lib.symbols.pla_tcp_create(new Uint8Array(err.buffer));
    if (ctx === null) throw new ShimError("pla_tcp_create", err[0]);
    this.#ctx = ctx;
    this.baseMs = Number(this.#lib.symbols.pla_tcp_base_ms(ctx));
  }

  #live(): Deno.PointerValue {
    if (this.#ctx === null) throw new Error("tcp-syn socket is closed");
    return this.#ctx;
  }

  /** Opens the family's raw TCP socket; TcpSynPermissionError without CAP_NET_RAW. */
  open(family: Family): void {
    if (this.#open.has(family)) return;
    const r = this.#lib.symbols.pla_tcp_open(this.#live(), family);
    if (r === -ERRNO.EPERM || r === -ERRNO.EACCES) {
      throw new TcpSynPermissionError(family);
    }
    if (r < 0) throw new ShimError("pla_tcp_open", r);
    this.#open.add(family);
    this.wake();
  }

  /** A reserved source port (a bound TCP socket that never listens). */
  reserve(): number {
    const r = this.#lib.symbols.pla_tcp_reserve(this.#live());
    if (r < 0) throw new ShimError("pla_tcp_reserve", r);
    return r;
  }

  release(port: number): void {
    if (this.#ctx === null) return;
    this.#lib.symbols.pla_tcp_release(this.#ctx, port);
  }

  /** The local address packets to `addr` leave from (a copy), or -errno. */
  source(
    family: Family,
    addr: Uint8Array,
    scopeId: number,
  ): Uint8Array | number {
    const r = this.#lib.symbols.pla_tcp_source(
      this.#live(),
      family,
      addr,
      addr.length,
      scopeId,
      this.#src,
      this.#src.length,
    );
    return r < 0 ? r : this.#src.slice(0, family === 4 ? 4 : 16);
  }

  /** Sends one SYN; returns its send time, or -errno. */
  send(
    family: Family,
    addr: Uint8Array,
    scopeId: number,
    src: Uint8Array,
    sport: number,
    dport: number,
    isn: number,
  ): SynSent | number {
    const r = this.#lib.symbols.pla_tcp_send(
      this.#live(),
      family,
      addr,
      addr.length,
      scopeId,
      src,
      src.length,
      sport,
      dport,
      isn >>> 0,
      this.#out,
      this.#out.length,
    );
    if (r < 0) return r;
    const v = this.#outView;
    return {
      txNs: v.getUint32(PLA_SENT.fields.tx_ns.at, true) +
        v.getInt32(PLA_SENT.fields.tx_ns.at + 4, true) * 2 ** 32,
      kernelTs: v.getInt32(PLA_SENT.fields.ts_source.at, true) ===
        PLA.TS_KERNEL,
    };
  }

  /** The one blocking call: until a segment is in, wake(), or timeoutUs (≤ 1 s). */
  wait(timeoutUs: number): Promise<number> {
    if (this.#waiting) return this.#waiting;
    const p = this.#lib.symbols.pla_tcp_wait(
      this.#live(),
      Math.max(0, Math.min(1_000_000, Math.round(timeoutUs))),
    ).then((r) => {
      if (r < 0) throw new ShimError("pla_tcp_wait", r);
      return r;
    });
    this.#waiting = p;
    return p.finally(() => this.#waiting = null);
  }

  wake(): void {
    if (this.#ctx !== null) this.#lib.symbols.pla_tcp_wake(this.#ctx);
  }

  /** Reads every pending answer; `onEvent` gets a reused object. Returns the count. */
  drain(onEvent: (ev: SynEvent) => void): number {
    let total = 0;
    for (;;) {
      const n = this.#lib.symbols.pla_tcp_recv(
        this.#live(),
        this.#events,
        this.#events.length,
      );
      if (n < 0) throw new ShimError("pla_tcp_recv", n);
      const v = this.#view;
      const b = this.#events;
      const ev = this.#ev;
      for (let i = 0; i < n; i++) {
        const off = i * PLA_TCP_EVENT.size;
        ev.rxNs = v.getUint32(off + EV.rx_ns.at, true) +
          v.getInt32(off + EV.rx_ns.at + 4, true) * 2 ** 32;
        ev.ack = v.getUint32(off + EV.ack.at, true);
        ev.sport = v.getUint16(off + EV.sport.at, true);
        ev.dport = v.getUint16(off + EV.dport.at, true);
        ev.flags = b[off + EV.flags.at];
        ev.family = b[off + EV.family.at] === 6 ? 6 : 4;
        ev.kernelTs = b[off + EV.ts_source.at] === PLA.TS_KERNEL;
        const ttl = v.getInt16(off + EV.ttl.at, true);
        ev.ttl = ttl < 0 ? null : ttl;
        ev.from = b.subarray(off + EV.from.at, off + EV.from.at + 16);
        onEvent(ev);
      }
      total += n;
      if (n < BATCH) return total;
    }
  }

  /** Closes the sockets once no wait is pending. */
  async close(): Promise<void> {
    if (this.#ctx === null) return;
    while (this.#waiting) {
      this.wake();
      await this.#waiting.catch(() => {});
    }
    const ctx = this.#ctx;
    this.#ctx = null;
    this.#lib.symbols.pla_tcp_destroy(ctx);
  }
}
