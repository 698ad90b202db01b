// Host names and literals to the address a target is probed at. node:dns
// is loaded only for a name (it costs a start-up ~10 ms CPU).
import { type Family, parseAddress, type ParsedAddress } from "./ip_address.ts";

/** A host could not be turned into an address. */
export class HostResolveError extends Error {
  constructor(readonly host: string, why: string) {
    super(`cannot resolve host '${host}': ${why}`);
    this.name = "HostResolveError";
  }
}

function zoneIndex(zone: string): number | undefined {
  try {
    return Deno.networkInterfaces()
      .find((e) => e.name === zone && e.family === "IPv6")?.scopeid ??
      undefined;
  } catch {
    return undefined;
  }
}

/**
 * Parses a literal, or resolves a name with the system resolver (so /etc/hosts
 * counts). IPv4 is preferred unless `family` says otherwise.
 */
export async function resolveTarget(
  host: string,
  family?: Family,
): Promise<ParsedAddress> {
  const name = host.trim();
  if (name === "") throw new HostResolveError(host, "empty host");
  const literal = parseAddress(name, zoneIndex);
  if (literal) {
    if (family && literal.family !== family) {
      throw new HostResolveError(
        host,
        `is an IPv${literal.family} address, IPv${family} was asked for`,
      );
    }
    return literal;
  }
  if (
    !/^[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9.])?$/.test(name) ||
    name.length > 253
  ) {
    throw new HostResolveError(host, "not an IP address or a valid host name");
  }
  let found: { address: string; family: number }[];
  try {
    const { lookup } = await import("node:dns/promises");
    found = await lookup(name, { all: true, family: family ?? 0 });
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new HostResolveError(
      host,
      code === "ENOTFOUND" ? "no such host" : (e as Error).message,
    );
  }
  const pick = found.find((a) => a.family === (family ?? 4)) ?? found[0];
  const parsed = pick && parseAddress(pick.address);
  if (!parsed) throw new HostResolveError(host, "no usable address");
  return parsed;
}
