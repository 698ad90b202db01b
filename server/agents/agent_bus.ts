// What the service side of the agent protocol keeps: work queued per site,
// agents' last contact, and each run's inbox of numbered records stored
// exactly once. The routes and RemoteRun talk only to this interface; one
// implementation lives in memory (one service process), the other shares the
// state through PostgreSQL between replicas (pg_agent_bus.ts).
import type {
  AgentAssignment,
  AgentDone,
  AgentInfo,
  AgentWork,
} from "../../model/agent.ts";
import type { ProbeRecord } from "../../model/probe.ts";

export interface AgentBusOptions {
  /** An agent not heard from for this long is offline. */
  offlineAfterMs: number;
}

/** What one poll says about the agent. */
export interface PollFrom {
  agent: string;
  site: string;
  version: string;
  /** Run keys it is executing. */
  running: string[];
}

/** A run's end: the agent's, or the service's when the agent lost the run (`lost`). */
export type InboxEnd = AgentDone & { lost?: boolean };

/** What a run's owner is handed: the next records in seq order, and the end. */
export interface InboxSink {
  records(records: ProbeRecord[]): void;
  done(done: InboxEnd): void;
}

export type DeliverResult =
  | { kind: "acked"; acked: number; closed: boolean }
  /** A gap: nothing stored; resend from `acked + 1`. */
  | { kind: "gap"; acked: number; closed: boolean }
  | { kind: "unknown" };

export interface RunState {
  /** The agent that took the run; null while unclaimed. */
  agent: string | null;
  /** The agent has begun it (listed it as running, or sent results). */
  started: boolean;
  /** That agent (or, unclaimed, any agent of the site) is online. */
  online: boolean;
}

export interface AgentBus {
  /** Queues a run for the site's agents; `sink` receives its results. */
  assign(
    site: string,
    assignment: AgentAssignment,
    sink: InboxSink,
  ): Promise<void>;
  /** Asks the agent running it to stop (delivered with the next poll). */
  cancel(runKey: string): Promise<void>;
  /** The run's owner lets it go: later results are refused as unknown. */
  close(runKey: string): Promise<void>;
  /**
   * Long poll: marks the agent seen, and waits up to `waitMs` (or `signal`)
   * for work it has not got yet: assignments for its site nobody else has
   * claimed (or that it claimed and no longer lists as running) and
   * cancellations of runs it lists.
   */
  take(
    from: PollFrom,
    waitMs: number,
    signal?: AbortSignal,
  ): Promise<AgentWork>;
  /**
   * Stores records numbered from `firstSeq` (consecutive) and the end:
   * only the ones following the last stored seq, in order; duplicates are
   * ignored and a gap stores nothing.
   */
  deliver(
    agent: string,
    runKey: string,
    firstSeq: number,
    records: ProbeRecord[],
    done?: AgentDone,
    /** The caller's site (a token's): a run of another site is unknown to it. */
    site?: string,
  ): Promise<DeliverResult>;
  /** Who is executing the run, and whether that agent is online. */
  runState(runKey: string): Promise<RunState>;
  /** True when an agent of the site is online. */
  siteOnline(site: string): Promise<boolean>;
  agents(): Promise<AgentInfo[]>;
}
