// The agent's HTTP calls to the service: JSON in and out, a Bearer token, and
// errors sorted into the ones worth retrying (the network, 5xx) and the ones
// that are not (401/403: a bad token or the wrong role).
import type {
  AgentAck,
  AgentPoll,
  AgentResults,
  AgentWork,
} from "../model/agent.ts";

/** The service refused the agent's credentials: retrying cannot help. */
export class AgentAuthError extends Error {}

/** The service could not be reached or answered with a server error. */
export class AgentNetError extends Error {}

export class AgentClient {
  constructor(readonly server: string, readonly token?: string) {}

  async #post(
    path: string,
    body: unknown,
    ok: number[],
    signal?: AbortSignal,
  ): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(`${this.server}${path}`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        },
        body: JSON.stringify(body),
        signal,
      });
    } catch (e) {
      throw new AgentNetError(
        `${this.server} unreachable (${(e as Error).message})`,
      );
    }
    const text = await res.text().catch((e) => {
      throw new AgentNetError(`${this.server}: ${(e as Error).message}`);
    });
    if (ok.includes(res.status)) {
      try {
        return JSON.parse(text);
      } catch {
        throw new AgentNetError(`${path}: the answer is not JSON`);
      }
    }
    let detail = text.slice(0, 300);
    try {
      detail = JSON.parse(text).detail ?? detail;
    } catch { /* not problem+json */ }
    if (res.status === 401 || res.status === 403) {
      throw new AgentAuthError(
        `${path}: ${res.status} ${detail} (check --token: it must be a token of role agent for this site)`,
      );
    }
    if (res.status >= 500 || res.status === 429) {
      throw new AgentNetError(`${path}: ${res.status} ${detail}`);
    }
    // Any other refusal is a bug on one side; say it and keep trying.
    throw new AgentNetError(`${path}: ${res.status} ${detail}`);
  }

  async poll(p: AgentPoll, signal?: AbortSignal): Promise<AgentWork> {
    return await this.#post("/api/agent/poll", p, [200], signal) as AgentWork;
  }

  async results(r: AgentResults, signal?: AbortSignal): Promise<AgentAck> {
    return await this.#post(
      "/api/agent/results",
      r,
      [200, 409],
      signal,
    ) as AgentAck;
  }
}
