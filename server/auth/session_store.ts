// Login sessions, in memory: a restart signs everyone out, which is acceptable
// for a monitoring tool and keeps session secrets out of the KV file (which
// holds history and may be copied or backed up). Bounded in size.
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

interface Session {
  principal: Principal;
  expires: number;
}

export class SessionStore {
  readonly #sessions = new Map<string, Session>();

  constructor(
    readonly lifetimeMs: number,
    readonly max = 10_000,
    readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.#sessions.size;
  }

  /** A new session for `principal`; returns its id (the cookie value). */
  create(principal: Principal): string {
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
    return id;
  }

  get(id: string): Principal | null {
    const s = this.#sessions.get(id);
    if (!s) return null;
    if (s.expires <= this.now()) {
      this.#sessions.delete(id);
      return null;
    }
    return s.principal;
  }

  delete(id: string): void {
    this.#sessions.delete(id);
  }
}
