// Registers the protections every request passes through, in order: security
// headers and closed CORS, the body size limit, the client's address, then
// authentication and roles (with the /login and /logout routes). Call first in
// createApp.
import type { Hono } from "hono";
import { Auth } from "../auth/auth.ts";
import { limitBodies } from "./body_limit.ts";
import type { Config } from "../config/config.ts";
import { mountLogin } from "../auth/login.ts";
import { securityHeaders } from "./security_headers.ts";
import { resolveClientAddress } from "./client_address.ts";

export function mountSecurity(
  app: Hono,
  config?: Config,
  auth?: Auth,
): Auth | null {
  app.use("*", securityHeaders());
  app.use("*", limitBodies());
  if (!config) return null;
  const a = auth ?? new Auth(config.auth);
  // Before auth: the audit trail, stream limit and sign-in limiter all read it.
  app.use("*", resolveClientAddress(a.proxies));
  app.use("*", a.middleware());
  mountLogin(app, a);
  return a;
}
