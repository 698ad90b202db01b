// The probe agents' routes: POST /api/agent/poll (take work, long poll) and
// POST /api/agent/results (numbered records, acknowledged), for tokens of role
// agent only; GET /api/agents (viewer) lists the agents and whether they are
// online. The state lives behind the AgentBus.
import { type OpenAPIHono, z } from "@hono/zod-openapi";
import type { BlankEnv } from "hono/types";
import {
  agentAck,
  agentInfo,
  agentPoll,
  agentResults,
  agentWork,
} from "../../model/agent.ts";
import type { AgentBus } from "../agents/agent_bus.ts";
import { principalOf } from "../auth/auth.ts";
import { InvalidRequestError } from "../errors.ts";
import { json, problem, secured } from "./api_routes.ts";

/** The longest a poll is held (below common proxies' idle timeouts). */
export const MAX_POLL_MS = 25_000;

const AgentWork = agentWork.meta({ id: "AgentWork" });
const AgentAck = agentAck.meta({ id: "AgentAck" });
const AgentInfo = agentInfo.meta({ id: "AgentInfo" });

const body = <S extends z.ZodType>(schema: S) => ({
  body: { required: true, content: { "application/json": { schema } } },
});

export const agentRouteDefs = {
  poll: secured({
    method: "post",
    path: "/api/agent/poll",
    summary:
      "A probe agent takes work for its site (long poll, at most 25 s): runs to start and runs to stop",
    request: body(agentPoll.meta({ id: "AgentPoll" })),
    responses: {
      200: json(AgentWork, "work, possibly none"),
      400: problem("malformed body"),
      422: problem("the site does not match the token's"),
    },
  }),
  results: secured({
    method: "post",
    path: "/api/agent/results",
    summary:
      "A probe agent sends a run's records numbered from 1; each is stored once, in order",
    request: body(agentResults.meta({ id: "AgentResults" })),
    responses: {
      200: json(AgentAck, "stored up to `acked`"),
      400: problem("malformed body"),
      409: json(
        AgentAck.extend({ expected: z.number().int() }),
        "a gap: nothing stored; resend from `expected`",
      ),
    },
  }),
  list: secured({
    method: "get",
    path: "/api/agents",
    summary: "Probe agents seen since the service started, and their sites",
    responses: {
      200: json(z.object({ agents: z.array(AgentInfo) }), "agents"),
    },
  }),
};

export function mountAgentRoutes(
  app: OpenAPIHono<BlankEnv>,
  bus: AgentBus,
): void {
  /** The site the caller serves: its token's, or the body's while auth is open. */
  const siteOf = (
    c: Parameters<typeof principalOf>[0],
    asked?: string,
  ): string => {
    const who = principalOf(c);
    if (who.role === "agent") {
      if (asked !== undefined && asked !== who.site) {
        throw new InvalidRequestError(
          `site: "${asked}" is not the token's site "${who.site}"`,
          "site",
        );
      }
      return who.site!;
    }
    if (asked === undefined) {
      throw new InvalidRequestError(
        "site: required (auth is open, no token names it)",
        "site",
      );
    }
    return asked;
  };

  app.openapi(agentRouteDefs.poll, async (c) => {
    const poll = c.req.valid("json");
    const site = siteOf(c, poll.site);
    const work = await bus.take(
      {
        agent: poll.agent,
        site,
        version: poll.version,
        running: poll.running,
      },
      Math.min(poll.wait_ms, MAX_POLL_MS),
      c.req.raw.signal,
    );
    return c.json(work, 200);
  });

  app.openapi(agentRouteDefs.results, async (c) => {
    const r = c.req.valid("json");
    const seqs = r.records.map((x) => x.seq);
    if (seqs.some((s, i) => s !== seqs[0] + i)) {
      throw new InvalidRequestError(
        "records: seq must be consecutive",
        "records",
      );
    }
    const res = await bus.deliver(
      r.agent,
      r.run_key,
      seqs[0] ?? (r.done ? r.done.seq + 1 : 1),
      r.records.map((x) => x.record),
      r.done,
      // An agent token writes only into runs of its own site.
      principalOf(c).role === "agent" ? principalOf(c).site : undefined,
    );
    if (res.kind === "unknown") {
      // The test is over (or was never here): the agent drops the run.
      return c.json(
        { acked: seqs.at(-1) ?? r.done?.seq ?? 0, closed: true },
        200,
      );
    }
    if (res.kind === "gap") {
      return c.json({
        acked: res.acked,
        closed: res.closed,
        expected: res.acked + 1,
      }, 409);
    }
    return c.json({ acked: res.acked, closed: res.closed }, 200);
  });

  app.openapi(
    agentRouteDefs.list,
    async (c) => c.json({ agents: await bus.agents() }, 200),
  );
}
