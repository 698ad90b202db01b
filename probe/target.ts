// What the engine probes: a target as asked for, and once its host is
// resolved. Shared by the engine, its probe slots and their callers.
import type { Family } from "./ip_address.ts";

/** A target as asked for: a label (server id or the host as typed) and the host to probe. */
export interface TargetSpec {
  target: string;
  host: string;
  /** Path mode: this target probes one hop; its TTL / hop limit (overrides the settings' ttl). */
  hop?: number;
}

/** A target once its host is resolved. */
export interface ResolvedTarget extends TargetSpec {
  address: string;
  family: Family;
}
