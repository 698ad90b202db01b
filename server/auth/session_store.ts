// Login sessions. The interface is asynchronous so sessions can live in the
// shared database (PgSessionStore: valid on every replica). With the KV store
// they stay in memory (MemorySessionStore): a restart signs everyone out,
// which is acceptable for a monitoring tool and keeps session secrets out of
// the KV file (which holds history and may be copied or backed up). Both are
// bounded in size.
import type { Role } from "./auth_config.ts";
import { newSessionId } from "./password.ts";

export interface Principal {
  name: string;
  role: Role;
  /** How the request was authenticated. */
  via: "open" | "token" | "session" | "proxy";
  /** Role agent: the site it serves. */
  site?: string;
}

export interface SessionStore {
  /** How long a session lasts after sign-in. */
  readonly lifetimeMs: number;
  /** A new session for `principal`; resolves to its id (the cookie value). */
  create(principal: Principal): Promise<string>;
  /** The session's principal; null when unknown or expired. */
  get(id: string): Promise<Principal | null>;
  delete(id: string): Promise<void>;
}

/** Builds the session store for a lifetime (the auth config's session_hours). */
export type SessionStoreFactory = (lifetimeMs: number) => SessionStore;

interface Session {
  principal: Principal;
  expires: number;
}

export class MemorySessionStore implements SessionStore {
  readonly #sessions = new Map<string, Session>();

  constructor(
    readonly lifetimeMs: number,
    readonly max = 10_000,
    readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.#sessions.size;
  }

  create(principal: Principal): Promise<string> {
    const t = this.now();
    for (const [id, s] of this.#sessions) {
      if (s.expires <= t) this.#sessions.delete(id);
    }
    // Full: the oldest session goes (Map iterates in insertion order).
    while (this.#sessions.size >= this.max) {
      this.#sessions.delete(this.#sessions.keys().next().value!);
    }
    const id = newSessionId();
    this.#sessions.set(id, {
      principal: { ...principal, via: "session" },
      expires: t + this.lifetimeMs,
    });
    return Promise.resolve(id);
  }

  get(id: string): Promise<Principal | null> {
    const s = this.#sessions.get(id);
    if (!s) return Promise.resolve(null);
    if (s.expires <= this.now()) {
      this.#sessions.delete(id);
      return Promise.resolve(null);
    }
    return Promise.resolve(s.principal);
  }

  delete(id: string): Promise<void> {
    this.#sessions.delete(id);
    return Promise.resolve();
  }
}
