// What may be probed: the configured servers, and arbitrary hosts only when the
// config allows them, inside its allowlist, checked on the address the name
// resolves to. Broadcast, multicast and unspecified addresses never.
import { networkInterfaces } from "node:os";
import { z } from "zod";
import { parseAddress, type ParsedAddress } from "../../probe/ip_address.ts";
import { HostResolveError, resolveTarget } from "../../probe/resolve_target.ts";
import {
  broadcastOf,
  type Cidr,
  cidrContains,
  parseCidr,
  unmapped,
} from "./cidr.ts";
import { InvalidRequestError } from "../errors.ts";
import { type ProbeSpec, tcpPort } from "../../model/probe.ts";

const HOST_NAME =
  /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9_-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9_-]*[A-Za-z0-9])?)*\.?$/;
const HOST_PATTERN =
  /^(\*\.)?[A-Za-z0-9]([A-Za-z0-9_-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9_-]*[A-Za-z0-9])?)*$/;

export const isHostName = (s: string) => HOST_NAME.test(s);

const cidrText = z.string().max(64).refine(
  (s) => parseCidr(s) !== null,
  "not a network in CIDR notation (e.g. 10.0.0.0/8 or fd00::/8)",
);

/** The `targets` section of the config. */
export const targetPolicySchema = z.object({
  /** Let requests name hosts that are not configured servers. */
  allow_arbitrary: z.boolean().default(false),
  /** Networks an arbitrary host's (resolved) address must be in. */
  allow_cidrs: z.array(cidrText).max(1000).default([]),
  /** Host names that may be asked for: exact, or "*.example.com" for any sub-domain. */
  allow_hosts: z.array(
    z.string().max(253).regex(
      HOST_PATTERN,
      'not a host name pattern (e.g. "db.lan" or "*.lan")',
    ),
  ).max(1000).default([]),
  /** Ports the TCP and TLS probes may use; absent: any port. */
  allow_ports: z.array(tcpPort).max(1000).optional(),
}).strict().superRefine((p, ctx) => {
  if (p.allow_arbitrary && p.allow_cidrs.length === 0) {
    ctx.addIssue({
      code: "custom",
      path: ["allow_cidrs"],
      message: "allow_arbitrary needs at least one network in allow_cidrs",
    });
  }
});
export type TargetPolicyConfig = z.infer<typeof targetPolicySchema>;

/** Why an address may never be probed, or null. */
export function forbiddenReason(
  address: ParsedAddress,
  broadcasts: ReadonlySet<string> = new Set(),
): string | null {
  const a = unmapped(address);
  const b = a.bytes;
  if (a.family === 6) {
    if (b.every((x) => x === 0)) return "is the unspecified address";
    if (b[0] === 0xff) return "is a multicast address";
    return null;
  }
  if (b[0] === 0) return "is an unspecified (0.0.0.0/8) address";
  if (b[0] >= 224 && b[0] <= 239) return "is a multicast address";
  if (a.text === "255.255.255.255") return "is the broadcast address";
  if (b[0] >= 240) return "is in the reserved 240.0.0.0/4 range";
  if (broadcasts.has(a.text)) return "is a network's broadcast address";
  return null;
}

/** Directed broadcast addresses of this machine's IPv4 networks (empty without permission). */
export function localBroadcasts(): string[] {
  try {
    return Object.values(networkInterfaces()).flat().flatMap((i) => {
      const net = i?.cidr ? parseCidr(i.cidr) : null;
      const b = net && broadcastOf(net);
      return b ? [b] : [];
    });
  } catch {
    return [];
  }
}

/** A target as the runner probes it: a configured server or an allowed host. */
export interface PolicyTarget {
  id: string;
  name: string;
  host: string;
  /** A configured server's own probe kind and port. */
  probe?: ProbeSpec;
}

export class TargetPolicy {
  readonly #cidrs: Cidr[];
  readonly #broadcasts: Set<string>;

  constructor(
    readonly config: TargetPolicyConfig,
    readonly servers: PolicyTarget[],
    broadcasts: string[] = localBroadcasts(),
  ) {
    this.#cidrs = config.allow_cidrs.map((c) => parseCidr(c)!);
    // The last address of every allowed IPv4 network is its broadcast address.
    this.#broadcasts = new Set([
      ...broadcasts,
      ...this.#cidrs.flatMap((c) => broadcastOf(c) ?? []),
    ]);
  }

  /**
   * A request's `targets.i` entry: a server id, else (when allowed) a host.
   * Literals are checked here, before anything else is looked at.
   */
  classify(entry: string, i: number): PolicyTarget {
    const server = this.servers.find((s) => s.id === entry);
    if (server) return server;
    const field = `targets.${i}`;
    if (!this.config.allow_arbitrary) {
      throw new InvalidRequestError(
        `${field}: unknown server "${entry}" (see GET /api/servers)`,
        field,
      );
    }
    const literal = parseAddress(entry);
    if (literal) {
      this.#checkAddress(literal, entry, field);
      return { id: literal.text, name: literal.text, host: literal.text };
    }
    if (!isHostName(entry)) {
      throw new InvalidRequestError(
        `${field}: "${
          entry.slice(0, 100)
        }" is neither a server id, an IP address nor a host name`,
        field,
      );
    }
    const name = entry.toLowerCase().replace(/\.$/, "");
    if (!this.#nameAllowed(name)) {
      throw new InvalidRequestError(
        `${field}: host name "${name}" is not in the allowed host names (targets.allow_hosts)`,
        field,
      );
    }
    return { id: name, name, host: name };
  }

  /** Refuses a TCP/TLS port outside targets.allow_ports (422 naming the port). */
  checkPort(spec: ProbeSpec | undefined, field: string): void {
    const ports = this.config.allow_ports;
    if (!ports || spec?.port === undefined) return;
    if (!ports.includes(spec.port)) {
      throw new InvalidRequestError(
        `${field}: port ${spec.port} is not allowed (targets.allow_ports: ${
          ports.join(", ")
        })`,
        field,
      );
    }
  }

  #nameAllowed(name: string): boolean {
    return this.config.allow_hosts.some((p) => {
      const pat = p.toLowerCase();
      return pat.startsWith("*.") ? name.endsWith(pat.slice(1)) : name === pat;
    });
  }

  #isServer(t: PolicyTarget): boolean {
    return this.servers.includes(t);
  }

  #checkAddress(
    a: ParsedAddress,
    host: string,
    field: string,
    server = false,
  ): void {
    const shown = host === a.text ? `"${host}"` : `"${host}" (${a.text})`;
    const why = forbiddenReason(a, this.#broadcasts);
    if (why) {
      throw new InvalidRequestError(
        `${field}: ${shown} ${why}; never probed`,
        field,
      );
    }
    if (!server && !this.#cidrs.some((c) => cidrContains(c, a))) {
      throw new InvalidRequestError(
        `${field}: ${shown} is outside the allowed networks (targets.allow_cidrs)`,
        field,
      );
    }
  }

  /**
   * Resolves every target once and checks the address: the engine is then
   * given these literals, so a name cannot resolve elsewhere afterwards.
   */
  async resolve(targets: PolicyTarget[]): Promise<ParsedAddress[]> {
    return await Promise.all(targets.map(async (t, i) => {
      const field = `targets.${i}`;
      let a: ParsedAddress;
      try {
        a = await resolveTarget(t.host);
      } catch (e) {
        if (!(e instanceof HostResolveError)) throw e;
        throw new InvalidRequestError(`${field}: ${e.message}`, field);
      }
      this.#checkAddress(a, t.host, field, this.#isServer(t));
      return a;
    }));
  }
}
