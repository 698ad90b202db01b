// The `auth` section of the config: who may use the service, with which role.
// Authentication is required unless the config says `mode: open` explicitly.
import { z } from "zod";
import { parseCidr } from "../policy/cidr.ts";
import { siteName } from "../../model/agent.ts";
import {
  hashIterations,
  MIN_ITERATIONS,
  PASSWORD_HASH,
  TOKEN_HASH,
} from "./password.ts";

// `agent` ranks below viewer: a probe agent's token may use the agent routes
// only (auth.ts requires exactly that role there).
export const ROLES = ["agent", "viewer", "operator", "admin"] as const;
export const roleSchema = z.enum(ROLES);
export type Role = z.infer<typeof roleSchema>;
/** Roles a person (a user, a proxy's default) may have. */
const personRole = z.enum(["viewer", "operator", "admin"], {
  error: (issue) =>
    issue.input === "agent"
      ? "the agent role is for tokens only (deno task token --role agent --site SITE)"
      : undefined,
});

/** True when `have` includes everything `need` may do. */
export const roleAtLeast = (have: Role, need: Role) =>
  ROLES.indexOf(have) >= ROLES.indexOf(need);

export const USER_NAME = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$/;
const userName = z.string().regex(
  USER_NAME,
  "must be 1-64 letters, digits or . _ @ + - (starting with a letter or digit)",
);

const userEntry = z.object({
  name: userName,
  role: personRole,
  /** From `deno task hash-password`; a user without one cannot log in with the form. */
  password_hash: z.string()
    .regex(PASSWORD_HASH, "not a hash from `deno task hash-password`")
    .refine(
      (h) => (hashIterations(h) ?? 0) >= MIN_ITERATIONS,
      `the hash needs at least ${MIN_ITERATIONS} iterations`,
    ).optional(),
}).strict();

const tokenEntry = z.object({
  /** A label for the token (shown nowhere secret). */
  name: userName,
  /** The user the audit trail names; default: the token's name. */
  user: userName.optional(),
  role: roleSchema,
  /** SHA-256 of the token from `deno task token`; the token itself is never stored. */
  sha256: z.string().regex(
    TOKEN_HASH,
    "must be the token's SHA-256 as 64 lowercase hex digits (never the token)",
  ),
  /** Role agent: the site whose work the agent takes. */
  site: siteName.optional(),
}).strict().superRefine((t, ctx) => {
  if (t.role === "agent" && !t.site) {
    ctx.addIssue({
      code: "custom",
      path: ["site"],
      message: "a token of role agent needs the site it serves (site: lab)",
    });
  }
  if (t.role !== "agent" && t.site) {
    ctx.addIssue({
      code: "custom",
      path: ["site"],
      message: "site is for tokens of role agent only",
    });
  }
});

const proxyEntry = z.object({
  /** Request header carrying the signed-in user name, e.g. X-Forwarded-User. */
  header: z.string().regex(/^[A-Za-z0-9-]{1,64}$/, "not a header name"),
  /** Only requests from these networks may set the header. */
  trusted: z.array(
    z.string().max(64).refine(
      (s) => parseCidr(s) !== null,
      "not a network in CIDR notation (e.g. 127.0.0.1/32)",
    ),
  ).min(1, "list the reverse proxy's address(es)").max(100),
  /** Role of proxy users not listed under `users`. */
  default_role: personRole.default("viewer"),
}).strict();

export const authSchema = z.object({
  mode: z.enum(["open", "required"]).default("required"),
  users: z.array(userEntry).max(10_000).default([]),
  tokens: z.array(tokenEntry).max(10_000).default([]),
  proxy: proxyEntry.optional(),
  /** Login sessions end this long after sign-in. */
  session_hours: z.number().positive().max(24 * 90).default(12),
  /**
   * Host names the service may be reached by while auth is open, besides IP
   * addresses and localhost (DNS rebinding protection).
   */
  open_hosts: z.array(
    z.string().max(253).regex(
      /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/,
      "not a host name",
    ),
  ).max(100).default([]),
  /** `auto`: Secure unless served over plain http to a non-loopback host. */
  cookie_secure: z.enum(["auto", "always", "never"]).default("auto"),
}).strict().superRefine((a, ctx) => {
  const dup = (list: { name: string }[], key: string) => {
    const seen = new Set<string>();
    list.forEach((u, i) => {
      if (seen.has(u.name)) {
        ctx.addIssue({
          code: "custom",
          path: [key, i, "name"],
          message: `duplicate name "${u.name}"`,
        });
      }
      seen.add(u.name);
    });
  };
  dup(a.users, "users");
  dup(a.tokens, "tokens");
  const canSignIn = a.users.some((u) => u.password_hash) ||
    a.tokens.length > 0 || a.proxy;
  if (a.mode === "required" && !canSignIn) {
    ctx.addIssue({
      code: "custom",
      path: ["mode"],
      message:
        "authentication is required, but no user has a password_hash and there are no tokens or proxy; add one, or set auth.mode: open explicitly",
    });
  }
});
export type AuthConfig = z.infer<typeof authSchema>;
