// Who is signed in, for the page header: read from the request context where
// the authentication middleware leaves its principal (absent in open mode).
import type { Context } from "hono";

export interface SignedIn {
  name: string;
  role: string;
  /** A browser session (cookie) that /logout can end. */
  canSignOut: boolean;
}

export function signedIn(c: Context): SignedIn | null {
  const p = (c.get as (key: string) => unknown)("principal") as
    | { name?: unknown; role?: unknown; via?: unknown }
    | undefined;
  if (!p || typeof p.name !== "string" || p.via === "open") return null;
  return {
    name: p.name,
    role: String(p.role),
    canSignOut: p.via === "session",
  };
}
