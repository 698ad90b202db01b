// The probe-agent protocol: what an agent at another site asks for (work) and
// sends home (numbered probe records), and what the service says about its
// agents. One schema per message, used by the routes, the agent and the tests.
import { z } from "zod";
import { probeRecord, probeSettings, targetStats } from "./probe.ts";

/** The site every server without `site` belongs to: the service itself. */
export const LOCAL_SITE = "local";

export const SITE_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;
export const siteName = z.string().regex(
  SITE_NAME,
  "a site is 1-63 lowercase letters, digits, '_' or '-', starting with a letter or digit",
);

export const agentName = z.string().regex(
  /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$/,
  "an agent name is 1-64 letters, digits or . _ @ + -",
);

export const agentPoll = z.object({
  /** Names this agent process (several may serve one site). */
  agent: agentName,
  version: z.string().max(256).default(""),
  /** The site, when auth is open (a token of role agent fixes it). */
  site: siteName.optional(),
  /** Runs the agent is executing: their assignments are not sent again. */
  running: z.array(z.string().max(256)).max(10_000).default([]),
  /** How long to hold the poll when there is nothing to do; capped at 25 s. */
  wait_ms: z.number().int().min(0).max(25_000).default(20_000),
}).strict();
export type AgentPoll = z.infer<typeof agentPoll>;

export const agentTarget = z.object({
  /** The test target id the records carry (e.g. `db@lab`). */
  target: z.string(),
  /** The address to probe (resolved by the service). */
  host: z.string(),
  /** The host name it was resolved from (tls probes: SNI and certificate name). */
  name: z.string().max(253).optional(),
});

export const agentAssignment = z.object({
  test_id: z.string(),
  /** Names one run of one site: every result refers to it. */
  run_key: z.string().max(256),
  targets: z.array(agentTarget).min(1),
  settings: probeSettings,
});
export type AgentAssignment = z.infer<typeof agentAssignment>;

export const agentWork = z.object({
  assignments: z.array(agentAssignment),
  /** Runs to stop (the test was stopped, or is gone). */
  cancellations: z.array(z.object({ run_key: z.string() })),
});
export type AgentWork = z.infer<typeof agentWork>;

/** The end of a run at the agent: the last seq it used, and why it ended. */
export const agentDone = z.object({
  seq: z.number().int().nonnegative(),
  stopped: z.boolean(),
  error: z.string().max(2000).optional(),
  /** The agent engine's own final statistics per target, in assignment order. */
  stats: z.array(targetStats).optional(),
});
export type AgentDone = z.infer<typeof agentDone>;

export const agentResults = z.object({
  /** The sending agent (the one that took the run). */
  agent: agentName,
  run_key: z.string().max(256),
  /** Consecutive records; seq 1 is a run's first. */
  records: z.array(z.object({
    seq: z.number().int().min(1),
    record: probeRecord,
  })).max(10_000),
  done: agentDone.optional(),
}).strict();
export type AgentResults = z.infer<typeof agentResults>;

export const agentAck = z.object({
  /** Every seq up to this one is stored (0: none yet). */
  acked: z.number().int().nonnegative(),
  /** The run is over at the service (done stored, or the test ended): stop it and forget it. */
  closed: z.boolean(),
});
export type AgentAck = z.infer<typeof agentAck>;

export const agentInfo = z.object({
  name: agentName,
  site: siteName,
  version: z.string(),
  last_seen: z.string(),
  online: z.boolean(),
});
export type AgentInfo = z.infer<typeof agentInfo>;
