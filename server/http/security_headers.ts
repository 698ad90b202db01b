// Headers on every response (pages, API, errors, event streams), and CORS
// kept closed: no Access-Control-Allow-Origin is ever sent and preflight
// requests are refused, so other sites' scripts cannot read or call the API.
import type { MiddlewareHandler } from "hono";
import { ApiError } from "./problem.ts";

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

export const SECURITY_HEADERS: Record<string, string> = {
  "content-security-policy": CONTENT_SECURITY_POLICY,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
};

export function securityHeaders(): MiddlewareHandler {
  return async (c, next) => {
    try {
      if (c.req.method === "OPTIONS") {
        throw new ApiError(
          405,
          "OPTIONS: cross-origin requests are not allowed (CORS is closed)",
        );
      }
      await next();
    } catch (e) {
      // Errors thrown here or by later middleware still get the headers.
      if (!(e instanceof ApiError)) throw e;
      c.res = e.toResponse();
    }
    let res = c.res;
    try {
      for (const [k, v] of Object.entries(SECURITY_HEADERS)) {
        res.headers.set(k, v);
      }
      res.headers.delete("access-control-allow-origin");
    } catch {
      // Immutable headers (a forwarded response): copy into a new Response.
      res = new Response(res.body, res);
      for (const [k, v] of Object.entries(SECURITY_HEADERS)) {
        res.headers.set(k, v);
      }
      res.headers.delete("access-control-allow-origin");
      c.res = res;
    }
  };
}
