// GET/POST /login (the form, sign-in with a rate limit on failures) and
// POST /logout. The session cookie is HttpOnly, SameSite=Strict, Path=/, and
// Secure (see secureCookie).
import type { Context, Hono } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { renderLoginPage } from "../../routes/login.tsx";
import { clientAddress } from "../http/client_address.ts";
import { type Auth, safeNext, SESSION_COOKIE } from "./auth.ts";
import { LoginLimiter } from "./login_limiter.ts";

const LOOPBACK_HOST = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/;

/**
 * Secure unless the page came over plain http to a non-loopback host, where a
 * browser would drop a Secure cookie and nobody could sign in (browsers accept
 * Secure cookies from http://localhost).
 */
export function secureCookie(req: Request, mode: "auto" | "always" | "never") {
  if (mode !== "auto") return mode === "always";
  const url = new URL(req.url);
  return url.protocol === "https:" ||
    req.headers.get("x-forwarded-proto") === "https" ||
    LOOPBACK_HOST.test(url.hostname);
}

/** Sets (or, with maxAge 0, clears) the session cookie. */
function setSessionCookie(
  c: Context,
  auth: Auth,
  value: string,
  maxAge: number,
): void {
  setCookie(c, SESSION_COOKIE, value, {
    path: "/",
    httpOnly: true,
    sameSite: "Strict",
    maxAge,
    secure: secureCookie(c.req.raw, auth.config.cookie_secure),
  });
}

function page(
  c: Context,
  status: 200 | 401 | 429,
  props: Parameters<typeof renderLoginPage>[0],
) {
  return c.html(renderLoginPage(props), status);
}

export function mountLogin(
  app: Hono,
  auth: Auth,
  limiter = new LoginLimiter(),
): void {
  app.get("/login", async (c) => {
    const next = safeNext(c.req.query("next"));
    const id = getCookie(c, SESSION_COOKIE);
    if (auth.open || (id && await auth.sessions.get(id))) {
      return c.redirect(next, 303);
    }
    return page(c, 200, { next });
  });

  app.post("/login", async (c) => {
    if (auth.open) return c.redirect("/", 303);
    let form: Record<string, unknown> = {};
    if (
      /^(application\/x-www-form-urlencoded|multipart\/form-data)/.test(
        c.req.header("content-type") ?? "",
      )
    ) form = await c.req.parseBody();
    const next = safeNext(form.next);
    const username = typeof form.username === "string" ? form.username : "";
    const password = typeof form.password === "string" ? form.password : "";
    if (
      !username || !password || username.length > 64 || password.length > 1024
    ) {
      return page(c, 401, { next, error: "Enter a user name and a password." });
    }
    const keys = [`addr:${clientAddress(c)}`, `user:${username}`];
    const wait = limiter.retryAfter(keys);
    if (wait > 0) {
      c.header("retry-after", String(wait));
      return page(c, 429, {
        next,
        username,
        error: `Too many failed sign-ins; try again in ${wait} s.`,
      });
    }
    const who = await auth.login(username, password);
    if (!who) {
      limiter.fail(keys);
      return page(c, 401, {
        next,
        username,
        error: "Wrong user name or password.",
      });
    }
    limiter.succeed(keys);
    const id = await auth.sessions.create(who);
    const maxAge = Math.floor(auth.sessions.lifetimeMs / 1000);
    setSessionCookie(c, auth, id, maxAge);
    return c.redirect(next, 303);
  });

  app.post("/logout", async (c) => {
    const id = getCookie(c, SESSION_COOKIE);
    if (id) await auth.sessions.delete(id);
    setSessionCookie(c, auth, "", 0);
    return c.redirect("/login", 303);
  });
}
