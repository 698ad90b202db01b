// A config with authentication required, for the auth, login and hardening
// tests: three users (one per role) with passwords, one token per role, and a
// trusted proxy at 192.0.2.10.
import type { Role } from "../server/auth/auth_config.ts";
import {
  hashPassword,
  MIN_ITERATIONS,
  newToken,
  sha256Hex,
} from "../server/auth/password.ts";

export const PASSWORD = "correct horse battery staple";
/** The roles people have (an agent token is made by the agent tests). */
export type PersonRole = Exclude<Role, "agent">;

export const USERS: Record<PersonRole, string> = {
  viewer: "vic",
  operator: "olga",
  admin: "alice",
};
export const TOKENS: Record<PersonRole, string> = {
  viewer: newToken(),
  operator: newToken(),
  admin: newToken(),
};
export const PROXY_ADDRESS = "192.0.2.10";

/** A person role's token (Role, so callers iterating roles type-check; agent has none here). */
export const bearer = (role: Role) => ({
  authorization: `Bearer ${TOKENS[role as PersonRole]}`,
});

/** The client address app.request passes to the app, as Deno.serve would. */
export const from = (hostname: string) => ({
  remoteAddr: { transport: "tcp" as const, hostname, port: 40000 },
});

let yaml: Promise<string> | undefined;

/** The YAML (hashed once per process); `extra` is appended (e.g. a limits section). */
export async function authConfigYaml(extra = ""): Promise<string> {
  yaml ??= (async () => {
    const roles = Object.keys(USERS) as PersonRole[];
    const users = await Promise.all(
      roles.map(async (r) =>
        `    - name: ${
          USERS[r]
        }\n      role: ${r}\n      password_hash: "${await hashPassword(
          PASSWORD,
          MIN_ITERATIONS,
        )}"`
      ),
    );
    const tokens = await Promise.all(
      roles.map(async (r) =>
        `    - { name: t-${r}, user: ${
          USERS[r]
        }, role: ${r}, sha256: "${await sha256Hex(TOKENS[r])}" }`
      ),
    );
    return `servers:
  - { id: localhost-v4, name: Localhost v4, host: 127.0.0.1 }
  - { id: localhost-v6, name: Localhost v6, host: "::1" }
auth:
  mode: required
  users:
${users.join("\n")}
  tokens:
${tokens.join("\n")}
  proxy: { header: X-Forwarded-User, trusted: [${PROXY_ADDRESS}/32] }
`;
  })();
  return (await yaml) + extra;
}
