// What the engine probes: a target as asked for, and once its host is
// resolved. Shared by the engine, its probe slots and their callers.
import type { Family } from "./ip_address.ts";

/** A target as asked for: a label (server id or the host as typed) and the host to probe. */
export interface TargetSpec {
  target: string;
  host: string;
  /** Path mode: this target probes one hop; its TTL / hop limit (overrides the settings' ttl). */
  hop?: number;
  /**
   * The host name the target was asked by, when `host` is its address
   * resolved beforehand (the service does that): tls probes send it as SNI
   * and check the certificate against it.
   */
  name?: string;
}

/** A target once its host is resolved. */
export interface ResolvedTarget extends TargetSpec {
  address: string;
  family: Family;
}
