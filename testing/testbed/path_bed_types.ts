// The path bed's public types: router and branch names, options, addresses,
// per-TTL counts, ping options and results, and the PathBed object itself.

import type { CommandOptions, CommandResult } from "../run_command.ts";

export type RouterName = "R1" | "R2a" | "R2b" | "R3";
export type Branch = "a" | "b";
export const ROUTERS: readonly RouterName[] = ["R1", "R2a", "R2b", "R3"];

export interface PathBedOptions {
  /** These routers keep the kernel's ICMP rate limits; the others answer every probe. */
  rateLimited?: RouterName[];
  /** Prober in an extra namespace S (ping sockets allowed for every group) instead of the root namespace. */
  sourceNamespace?: boolean;
}

export interface DualAddress {
  v4: string;
  v6: string;
}

export interface HopList {
  /** Expected answering address per hop (index 0 = hop 1), the destination last. */
  v4: string[];
  v6: string[];
}

/** Packet counts keyed by the TTL / hop limit the packet ARRIVED with; zero entries left out. */
export interface TtlCounts {
  v4: Record<number, number>;
  v6: Record<number, number>;
}

export interface PingOptions {
  /** Echo requests to send (1..1000, default 1). */
  count?: number;
  /** Gap between sends, ms (>= 2, default 1000 / count capped at 200). */
  intervalMs?: number;
  /** IP TTL / IPv6 hop limit of the requests (default 64). */
  ttl?: number;
  /** How long to wait for the last answer, s (1..5, default 1). */
  waitS?: number;
  /** ICMP identifier (ping -e; ping sockets pick their own). */
  ident?: number;
  /** Payload bytes (ping -s, 0..1000; default 56). 0 sends no timestamp, so equal ident and seq mean equal packets. */
  size?: number;
  /** Run ping with CAP_NET_RAW dropped (ping socket); only with sourceNamespace. */
  noRawSockets?: boolean;
}

export interface PingResult {
  transmitted: number;
  /** Echo replies (duplicates not counted), from ping's summary line. */
  received: number;
  /** First to last send, ms (ping's summary "time"). */
  elapsedMs: number;
  /** icmp_seq of every echo reply (duplicates included). */
  replySeqs: number[];
  /** Every ICMP error ping printed: its source, seq and ping's text. */
  errors: { from: string; seq: number; text: string }[];
  /** Sources of "time exceeded" answers (one per answer). */
  timeExceededFrom: string[];
  /** Sources of the echo replies. */
  replyFrom: string[];
  stdout: string;
}

export interface PathBed {
  /** Per router, its address on the link toward the prober (R3: the R2a link); hops 1-3 on branch a. */
  readonly routers: Readonly<Record<RouterName, DualAddress>>;
  /** Expected hop addresses with R1 routing via R2a (the default). */
  readonly hops: HopList;
  /**
   * Expected hop addresses per branch. IPv4 "time exceeded" comes from the
   * interface of the route back (R3: its R2a-side address on both branches);
   * IPv6 from the interface the probe arrived on (R3 via R2b: its R2b side).
   */
  readonly hopsVia: Readonly<Record<Branch, HopList>>;
  /** D's address: probe this. */
  readonly destination: DualAddress;
  /** The prober's own address. */
  readonly prober: DualAddress;
  /** e.g. "198.18.32.0/27" and "2001:db8:1a2b::/48". */
  readonly prefixes: DualAddress;
  /** Namespace names (S only with sourceNamespace). */
  readonly namespaces: Readonly<Record<RouterName | "D", string>> & {
    S?: string;
  };
  /** The prober namespace S, or null when the prober is the root namespace. */
  readonly sourceNs: string | null;
  /** True for an address inside the bed's two prefixes. */
  isBedAddress(ip: string): boolean;
  /** Drops `percent`% (integer 0..100) of echo requests arriving at `router`, chosen once per packet. */
  setLoss(router: RouterName, percent: number): Promise<void>;
  /** No more loss at `router` (every router when omitted). Counters are kept. */
  clearLoss(router?: RouterName): Promise<void>;
  /** Echo requests `router` dropped, by arriving TTL, both families (cumulative). */
  drops(router: RouterName): Promise<TtlCounts>;
  /** Echo requests that arrived at `router` (dropped or not), by arriving TTL. */
  arrivals(router: RouterName): Promise<TtlCounts>;
  /** R1 routes the far links (R3's and D's) via R2a or R2b, both families. */
  useBranch(branch: Branch): Promise<void>;
  /** R1 splits ICMP from the prober over R2a and R2b by a hash of addresses, type, code and checksum. */
  ecmp(on: boolean): Promise<void>;
  /** Echo requests R1 forwarded toward R2a and R2b so far, both families. */
  branchCounts(): Promise<{ a: number; b: number }>;
  /** Kernel-default ICMP rate limits (true) or none (false) at `router`. */
  setRateLimit(router: RouterName, limited: boolean): Promise<void>;
  /** Runs a command as the prober: inside S (optionally without CAP_NET_RAW), else in this namespace. */
  runInSource(
    cmd: string,
    args: string[],
    opts?: CommandOptions & { noRawSockets?: boolean },
  ): Promise<CommandResult>;
  /** iputils ping from the prober to a bed address (refuses any other), bounded in count and time. */
  ping(dst: string, opts?: PingOptions): Promise<PingResult>;
  /** Deletes every namespace (and so every veth and the root routes). Idempotent. */
  destroy(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}
