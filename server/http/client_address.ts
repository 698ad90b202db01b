// Who is on the other end of a request: the one place that says. The peer is
// the address Deno.serve saw; behind a trusted reverse proxy (auth.proxy.trusted)
// the client is the last X-Forwarded-For entry, the one that proxy added. From
// any other peer X-Forwarded-For is ignored: anyone can send it. Used by the
// audit trail's `from`, the per-client event-stream limit and the sign-in limiter.
import type { Context, MiddlewareHandler } from "hono";
import { parseAddress } from "../../probe/ip_address.ts";
import { type Cidr, cidrContains, parseCidr } from "../policy/cidr.ts";

declare module "hono" {
  interface ContextVariableMap {
    clientAddress: string;
  }
}

/** The peer address Deno.serve passed as the handler's info, else "unknown". */
export function peerAddress(env: unknown): string {
  const addr = (env as { remoteAddr?: { hostname?: string } } | undefined)
    ?.remoteAddr;
  return typeof addr?.hostname === "string" ? addr.hostname : "unknown";
}

/** Trusted reverse proxies: networks in CIDR notation (bad entries are left out). */
export class TrustedProxies {
  readonly #nets: Cidr[];

  constructor(cidrs: readonly string[] = []) {
    this.#nets = cidrs.map((t) => parseCidr(t)).filter((n) => n !== null);
  }

  /** Whether `peer` is one of the trusted proxies. */
  trusts(peer: string): boolean {
    const from = parseAddress(peer);
    return !!from && this.#nets.some((n) => cidrContains(n, from));
  }

  /**
   * The client of a request `peer` sent: behind a trusted proxy the last
   * X-Forwarded-For entry (when it is an IP address), else the peer itself.
   */
  clientOf(req: Request, peer: string): string {
    if (!this.trusts(peer)) return peer;
    const last = req.headers.get("x-forwarded-for")?.split(",").at(-1)?.trim();
    return last && parseAddress(last) ? last : peer;
  }
}

/** Works out the client once per request, for clientAddress(c). Mount first. */
export function resolveClientAddress(
  proxies: TrustedProxies,
): MiddlewareHandler {
  return async (c, next) => {
    c.set("clientAddress", proxies.clientOf(c.req.raw, peerAddress(c.env)));
    await next();
  };
}

/** The request's client address (the peer's where no middleware resolved it). */
export function clientAddress(c: Context): string {
  return c.get("clientAddress") ?? peerAddress(c.env);
}
