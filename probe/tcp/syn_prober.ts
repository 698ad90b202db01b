// tcp-syn: a SYN through the shim's raw TCP socket, timed with kernel stamps
// to the SYN-ACK (the port listens) or RST (the host is there, the port
// closed). Each probe in flight has its own reserved source port and a random
// initial sequence number; an answer counts only when it comes from the
// probed address and port to that source port and acknowledges ISN + 1. Our
// kernel has no connection for the port, so it answers the SYN-ACK with a
// RST: the far side's half-open connection closes and no application sees it.
import { parseAddress, type ParsedAddress } from "../ip_address.ts";
import { errnoCode } from "../icmp_errors.ts";
import type { Family } from "../ip_address.ts";
import type { ResolvedTarget } from "../target.ts";
import type { Answer, KindProber } from "./kind_run.ts";
import type { KindSlot } from "./kind_slot.ts";
import { type SynEvent, SynSocket } from "./syn_socket.ts";
import { PLA } from "../native/shim_layout.ts";

interface Pending {
  isn: number;
  dport: number;
  addr: ParsedAddress;
  txNs: number;
  kernelTs: boolean;
  answer: (a: Answer) => void;
}

/** Reserved ports kept for reuse; more are released. */
const SPARE_PORTS = 4096;
/**
 * A port rests this long before its next probe, so a straggler of its last
 * exchange (a retransmitted SYN-ACK, a far side still holding the half-open
 * connection) cannot meet the next SYN from it.
 */
const PORT_REST_MS = 1000;

export class SynProber implements KindProber {
  readonly kind = "tcp-syn" as const;
  readonly #sock = new SynSocket();
  readonly #pending = new Map<number, Pending>();
  /** Freed ports, oldest first, with when they were freed (performance.now()). */
  readonly #spare: { port: number; at: number }[] = [];
  #spareHead = 0;
  readonly #addrs = new Map<string, ParsedAddress>();
  readonly #sources = new Map<string, Uint8Array>();
  readonly #isn = new Uint32Array(1);
  #loop: Promise<void> | null = null;
  #receiving = false;
  #closed = false;

  /** Opens the family's raw socket; TcpSynPermissionError without CAP_NET_RAW. */
  open(family: Family): void {
    this.#sock.open(family);
  }

  start(
    target: ResolvedTarget,
    port: number,
    slot: KindSlot,
    answer: (a: Answer) => void,
  ): () => void {
    slot.sentMonotonic = performance.now();
    slot.sent_ms = Date.now();
    const fail = (code: string) =>
      answer({
        rttMs: null,
        receivedMs: Date.now(),
        kernelTs: false,
        error: code,
      });
    let addr = this.#addrs.get(target.address);
    if (!addr) {
      addr = parseAddress(target.address)!;
      this.#addrs.set(target.address, addr);
    }
    const bytes = addr.bytes.subarray(0, addr.family === 4 ? 4 : 16);
    let src = this.#sources.get(target.address);
    if (!src) {
      const s = this.#sock.source(addr.family, bytes, addr.scopeId);
      if (typeof s === "number") {
        fail(errnoCode(s));
        return () => {};
      }
      this.#sources.set(target.address, src = s);
    }
    const sport = this.#takePort();
    crypto.getRandomValues(this.#isn);
    const isn = this.#isn[0];
    const r = this.#sock.send(
      addr.family,
      bytes,
      addr.scopeId,
      src,
      sport,
      port,
      isn,
    );
    const free = () => {
      this.#pending.delete(sport);
      if (this.#spare.length - this.#spareHead < SPARE_PORTS && !this.#closed) {
        this.#spare.push({ port: sport, at: performance.now() });
      } else this.#sock.release(sport);
    };
    if (typeof r === "number") {
      free();
      fail(errnoCode(r));
      return () => {};
    }
    slot.txNs = r.txNs;
    slot.kernelTs = r.kernelTs;
    slot.sent_ms = this.#sock.baseMs + r.txNs / 1e6;
    this.#pending.set(sport, {
      isn,
      dport: port,
      addr,
      txNs: r.txNs,
      kernelTs: r.kernelTs,
      answer,
    });
    this.#ensureLoop();
    return free;
  }

  /** A rested spare port, else a newly reserved one. */
  #takePort(): number {
    const head = this.#spare[this.#spareHead];
    if (head && performance.now() - head.at >= PORT_REST_MS) {
      this.#spareHead++;
      if (this.#spareHead > 1024 && this.#spareHead * 2 > this.#spare.length) {
        this.#spare.splice(0, this.#spareHead);
        this.#spareHead = 0;
      }
      return head.port;
    }
    return this.#sock.reserve();
  }

  #ensureLoop(): void {
    if (this.#receiving) return;
    this.#receiving = true;
    this.#loop = this.#receive();
  }

  /** The one receive loop: one blocking wait at a time, while probes are in flight. */
  async #receive(): Promise<void> {
    const onEvent = (ev: SynEvent) => this.#onEvent(ev);
    try {
      while (this.#pending.size > 0 && !this.#closed) {
        this.#sock.drain(onEvent);
        if (this.#pending.size === 0) break;
        await this.#sock.wait(200_000);
      }
    } finally {
      // Cleared in the same turn the loop decides to end: a probe sent
      // after this starts a new loop (a .finally() callback would run a
      // turn later and strand it).
      this.#receiving = false;
    }
  }

  #onEvent(ev: SynEvent): void {
    const p = this.#pending.get(ev.dport);
    if (!p || ev.sport !== p.dport || ev.family !== p.addr.family) return;
    if (ev.ack !== ((p.isn + 1) >>> 0)) return;
    const n = p.addr.family === 4 ? 4 : 16;
    for (let i = 0; i < n; i++) if (ev.from[i] !== p.addr.bytes[i]) return;
    this.#pending.delete(ev.dport);
    p.answer({
      rttMs: Math.round((ev.rxNs - p.txNs) / 1000) / 1000,
      receivedMs: this.#sock.baseMs + ev.rxNs / 1e6,
      kernelTs: p.kernelTs && ev.kernelTs,
      tcp: ev.flags & PLA.TCP_SYN ? "syn-ack" : "rst",
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#sock.wake();
    await this.#loop;
    await this.#sock.close();
  }
}
