// Who is asking, and may they: Bearer tokens, the session cookie, or a trusted
// reverse proxy's user header; roles viewer < operator < admin. Everything but
// /healthz, /static/* and /login needs a principal when auth is required.
import type { Context, MiddlewareHandler } from "hono";
import { getCookie } from "hono/cookie";
import { parseAddress } from "../../probe/ip_address.ts";
import { peerAddress, TrustedProxies } from "../http/client_address.ts";
import {
  type AuthConfig,
  type Role,
  roleAtLeast,
  USER_NAME,
} from "./auth_config.ts";
import { crossSiteReason, UNSAFE_METHODS } from "../http/csrf.ts";
import {
  constantTimeEqualText,
  sha256Hex,
  verifyPassword,
} from "./password.ts";
import { ApiError } from "../http/problem.ts";
import {
  MemorySessionStore,
  type Principal,
  type SessionStore,
} from "./session_store.ts";

export type { Principal } from "./session_store.ts";

declare module "hono" {
  interface ContextVariableMap {
    principal: Principal;
  }
}

export const SESSION_COOKIE = "pla_session";
const OPEN: Principal = { name: "anonymous", role: "admin", via: "open" };
const REALM = 'Bearer realm="packet-loss-analyzer"';

/** Paths anyone may reach. */
export const isPublicPath = (path: string) =>
  path === "/healthz" || path === "/login" || path.startsWith("/static/");

/** The probe agents' routes: for role agent only (and anyone while auth is open). */
export const isAgentPath = (path: string) => path.startsWith("/api/agent/");

/** Whether `who` may make a request that needs `need`. */
export const mayUse = (who: Principal, need: Role) =>
  need === "agent"
    ? who.role === "agent" || who.via === "open"
    : roleAtLeast(who.role, need);

/** The least role a request needs. */
export function requiredRole(method: string, path: string): Role {
  if (isAgentPath(path)) return "agent";
  if (method === "GET" || method === "HEAD") {
    return path === "/api/audit" ? "admin" : "viewer";
  }
  if (method === "POST") {
    if (path === "/logout") return "viewer";
    // The route itself checks the config's device_test.role.
    if (path === "/api/device-tests") return "viewer";
    // Monitors are admin-defined (they probe forever, and count against max_pps).
    return path === "/api/monitors" ? "admin" : "operator";
  }
  return "admin";
}

/** `next` if it is a path on this site (not //host, not /login), else "/". */
export function safeNext(next: unknown): string {
  if (
    typeof next !== "string" || next.length > 2000 || !next.startsWith("/") ||
    next.startsWith("//") || /[\\\p{Cc}]/u.test(next)
  ) return "/";
  const u = new URL(next, "http://x");
  if (u.origin !== "http://x" || u.pathname === "/login") return "/";
  return u.pathname + u.search;
}

/** The host name of a Host header value ("[::1]:8080" → "::1"), lowercased. */
export function hostnameOf(host: string): string {
  const h = host.toLowerCase();
  if (h.startsWith("[")) return h.slice(1, h.indexOf("]"));
  return h.replace(/:\d*$/, "");
}

/** Outside the middleware's reach (there is none): the least privilege. */
const NOBODY: Principal = { name: "anonymous", role: "viewer", via: "open" };

/** The principal the auth middleware attached to the request (open mode: anonymous admin). */
export const principalOf = (c: Context): Principal =>
  c.get("principal") ?? NOBODY;

const unauthorized = (detail: string, error?: string) =>
  new ApiError(401, detail, undefined, {
    "www-authenticate": error ? `${REALM}, error="${error}"` : REALM,
  });

export class Auth {
  readonly sessions: SessionStore;
  /** The reverse proxies whose user header and X-Forwarded-For count. */
  readonly proxies: TrustedProxies;
  /** A hash to verify against for unknown users, so timing does not tell who exists. */
  readonly #decoy: string;

  constructor(readonly config: AuthConfig, sessions?: SessionStore) {
    this.sessions = sessions ??
      new MemorySessionStore(config.session_hours * 3_600_000);
    this.proxies = new TrustedProxies(config.proxy?.trusted);
    this.#decoy = config.users.find((u) => u.password_hash)?.password_hash ??
      "";
  }

  get open(): boolean {
    return this.config.mode === "open";
  }

  /** The user name/password pair's principal, or null. */
  async login(name: string, password: string): Promise<Principal | null> {
    const user = this.config.users.find((u) => u.name === name);
    const hash = user?.password_hash;
    const ok = await verifyPassword(password, hash ?? this.#decoy);
    return ok && user && hash
      ? { name, role: user.role, via: "session" }
      : null;
  }

  #fromProxy(req: Request, remote: string): Principal | null | undefined {
    const proxy = this.config.proxy;
    const value = proxy && req.headers.get(proxy.header);
    if (!proxy || value === null || value === undefined) return undefined;
    // Anyone else could set the header too: ignored unless the proxy sent it.
    if (!this.proxies.trusts(remote)) return undefined;
    if (!USER_NAME.test(value)) {
      throw unauthorized(`${proxy.header}: not a valid user name`);
    }
    const role = this.config.users.find((u) => u.name === value)?.role ??
      proxy.default_role;
    return { name: value, role, via: "proxy" };
  }

  /**
   * Who sent `req` (from the peer `remote`, with the session cookie's value
   * `sessionId`): null when nobody; throws 401 for a bad credential.
   */
  async identify(
    req: Request,
    remote: string,
    sessionId?: string,
  ): Promise<Principal | null> {
    if (this.open) return OPEN;
    const authz = req.headers.get("authorization");
    if (authz !== null) {
      const m = /^Bearer ([A-Za-z0-9_\-.~+/]{1,200}=*)$/.exec(authz);
      if (!m) {
        throw unauthorized(
          "Authorization: must be `Bearer <token>`",
          "invalid_request",
        );
      }
      const hash = await sha256Hex(m[1]);
      let found = null;
      for (const t of this.config.tokens) {
        if (constantTimeEqualText(t.sha256, hash)) found = t;
      }
      if (!found) {
        throw unauthorized("Authorization: unknown token", "invalid_token");
      }
      return {
        name: found.user ?? found.name,
        role: found.role,
        via: "token",
        ...(found.site ? { site: found.site } : {}),
      };
    }
    const proxied = this.#fromProxy(req, remote);
    if (proxied !== undefined) return proxied;
    return sessionId ? await this.sessions.get(sessionId) : null;
  }

  /**
   * With auth open, a page of another site whose name resolves to this
   * machine (DNS rebinding) would be "same-origin" with the service; only IP
   * addresses, localhost and auth.open_hosts are answered to.
   */
  #openHostRefused(req: Request): string | null {
    const host = req.headers.get("host") ?? new URL(req.url).host;
    const name = hostnameOf(host);
    if (
      name === "localhost" || parseAddress(name) ||
      this.config.open_hosts.some((h) => h.toLowerCase() === name)
    ) return null;
    return `Host: "${
      host.slice(0, 100)
    }" is not answered while auth is open (DNS rebinding protection); add it to auth.open_hosts, or use an IP address`;
  }

  /** The middleware: CSRF check, then authentication and role. */
  middleware(): MiddlewareHandler {
    return async (c, next) => {
      const { method, path } = c.req;
      if (this.open && path !== "/healthz") {
        const why = this.#openHostRefused(c.req.raw);
        if (why) throw new ApiError(403, why);
      }
      const pub = isPublicPath(path);
      const who = pub ? null : await this.identify(
        c.req.raw,
        peerAddress(c.env),
        getCookie(c, SESSION_COOKIE),
      );
      if (UNSAFE_METHODS.has(method)) {
        const ambient = pub || who?.via === "session" || who?.via === "proxy";
        const why = crossSiteReason(c.req.raw, ambient);
        if (why) throw new ApiError(403, why);
      }
      if (pub) return await next();
      if (!who) {
        const page = (method === "GET" || method === "HEAD") &&
          !path.startsWith("/api/") &&
          (c.req.header("accept") ?? "").includes("text/html");
        if (page) {
          const url = new URL(c.req.url);
          const next = encodeURIComponent(safeNext(url.pathname + url.search));
          return c.redirect(`/login?next=${next}`, 303);
        }
        throw unauthorized(
          "authentication required: send `Authorization: Bearer <token>` or sign in at /login",
        );
      }
      const need = requiredRole(method, path);
      if (!mayUse(who, need)) {
        throw new ApiError(
          403,
          `${method} ${path} needs the ${need} role${
            need === "agent" ? " (exactly)" : ""
          }; ${who.name} is ${who.role}`,
        );
      }
      c.set("principal", who);
      await next();
    };
  }
}
