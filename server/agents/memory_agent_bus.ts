// The AgentBus of a single service process: everything in memory.
import type {
  AgentAssignment,
  AgentDone,
  AgentInfo,
  AgentWork,
} from "../../model/agent.ts";
import type { ProbeRecord } from "../../model/probe.ts";
import type {
  AgentBus,
  AgentBusOptions,
  DeliverResult,
  InboxSink,
  PollFrom,
  RunState,
} from "./agent_bus.ts";

interface RunEntry {
  site: string;
  assignment: AgentAssignment;
  sink: InboxSink;
  claimedBy: string | null;
  /** The agent listed it as running or sent results for it. */
  started: boolean;
  acked: number;
  cancelled: boolean;
  closed: boolean;
}

interface AgentEntry {
  site: string;
  version: string;
  lastSeen: number;
  /** Long polls open now: an agent waiting in one is online. */
  polls: number;
}

export class MemoryAgentBus implements AgentBus {
  readonly #runs = new Map<string, RunEntry>();
  readonly #agents = new Map<string, AgentEntry>();
  readonly #waiters = new Set<{ site: string; wake: () => void }>();
  readonly #offlineAfterMs: number;
  readonly #now: () => number;

  constructor(options: AgentBusOptions, now = () => Date.now()) {
    this.#offlineAfterMs = options.offlineAfterMs;
    this.#now = now;
  }

  #wake(site: string): void {
    for (const w of this.#waiters) if (w.site === site) w.wake();
  }

  assign(
    site: string,
    assignment: AgentAssignment,
    sink: InboxSink,
  ): Promise<void> {
    this.#runs.set(assignment.run_key, {
      site,
      assignment,
      sink,
      claimedBy: null,
      started: false,
      acked: 0,
      cancelled: false,
      closed: false,
    });
    this.#wake(site);
    return Promise.resolve();
  }

  cancel(runKey: string): Promise<void> {
    const run = this.#runs.get(runKey);
    if (run && !run.cancelled) {
      run.cancelled = true;
      this.#wake(run.site);
    }
    return Promise.resolve();
  }

  close(runKey: string): Promise<void> {
    const run = this.#runs.get(runKey);
    if (run) {
      this.#runs.delete(runKey);
      this.#wake(run.site);
    }
    return Promise.resolve();
  }

  #seen(from: { agent: string; site: string; version?: string }): AgentEntry {
    let a = this.#agents.get(from.agent);
    if (!a || a.site !== from.site) {
      a = { site: from.site, version: "", lastSeen: 0, polls: 0 };
      this.#agents.set(from.agent, a);
    }
    if (from.version !== undefined) a.version = from.version;
    a.lastSeen = this.#now();
    return a;
  }

  #workFor(from: PollFrom): AgentWork {
    const running = new Set(from.running);
    const work: AgentWork = { assignments: [], cancellations: [] };
    for (const [key, run] of this.#runs) {
      if (run.site !== from.site) continue;
      const mine = run.claimedBy === from.agent;
      if (running.has(key)) {
        if (mine) run.started = true;
        if (mine && run.cancelled) work.cancellations.push({ run_key: key });
        continue;
      }
      if (run.closed || run.cancelled) continue;
      if (run.claimedBy === null || (mine && !run.started)) {
        // Unclaimed, or its assignment may have been lost on the way: (re)send.
        run.claimedBy = from.agent;
        work.assignments.push(run.assignment);
      } else if (mine) {
        // Started here and no longer listed, never finished: the agent lost it.
        run.closed = true;
        run.sink.done({
          seq: run.acked,
          stopped: false,
          lost: true,
          error:
            `agent ${from.agent} lost the run (restarted?); ${run.acked} probe records kept`,
        });
      }
    }
    // Runs the agent lists that the service no longer has: stop them.
    for (const key of running) {
      if (!this.#runs.has(key)) work.cancellations.push({ run_key: key });
    }
    return work;
  }

  async take(
    from: PollFrom,
    waitMs: number,
    signal?: AbortSignal,
  ): Promise<AgentWork> {
    const agent = this.#seen(from);
    agent.polls++;
    const deadline = this.#now() + waitMs;
    try {
      for (;;) {
        const work = this.#workFor(from);
        const left = deadline - this.#now();
        if (
          work.assignments.length || work.cancellations.length || left <= 0 ||
          signal?.aborted
        ) return work;
        await new Promise<void>((resolve) => {
          const waiter = { site: from.site, wake: () => done() };
          const timer = setTimeout(() => done(), left);
          const done = () => {
            clearTimeout(timer);
            this.#waiters.delete(waiter);
            signal?.removeEventListener("abort", done);
            resolve();
          };
          this.#waiters.add(waiter);
          signal?.addEventListener("abort", done);
        });
      }
    } finally {
      agent.polls--;
      agent.lastSeen = this.#now();
    }
  }

  deliver(
    agent: string,
    runKey: string,
    firstSeq: number,
    records: ProbeRecord[],
    done?: AgentDone,
    site?: string,
  ): Promise<DeliverResult> {
    const run = this.#runs.get(runKey);
    if (site !== undefined && run && run.site !== site) {
      return Promise.resolve({ kind: "unknown" });
    }
    return Promise.resolve(
      this.#deliver(agent, runKey, firstSeq, records, done),
    );
  }

  #deliver(
    agent: string,
    runKey: string,
    firstSeq: number,
    records: ProbeRecord[],
    done?: AgentDone,
  ): DeliverResult {
    const run = this.#runs.get(runKey);
    if (!run || (run.claimedBy !== null && run.claimedBy !== agent)) {
      return { kind: "unknown" };
    }
    this.#seen({ agent, site: run.site });
    run.claimedBy = agent;
    run.started = true;
    if (run.closed) return { kind: "acked", acked: run.acked, closed: true };
    if (firstSeq > run.acked + 1) {
      return { kind: "gap", acked: run.acked, closed: false };
    }
    const fresh = records.slice(run.acked + 1 - firstSeq);
    if (fresh.length) {
      run.acked += fresh.length;
      run.sink.records(fresh);
    }
    if (done && done.seq <= run.acked) {
      run.closed = true;
      run.sink.done(done);
    }
    return { kind: "acked", acked: run.acked, closed: run.closed };
  }

  #online(a: AgentEntry): boolean {
    return a.polls > 0 || this.#now() - a.lastSeen < this.#offlineAfterMs;
  }

  runState(runKey: string): Promise<RunState> {
    return Promise.resolve(this.#runState(runKey));
  }

  #runState(runKey: string): RunState {
    const run = this.#runs.get(runKey);
    if (!run) return { agent: null, started: false, online: false };
    const a = run.claimedBy ? this.#agents.get(run.claimedBy) : undefined;
    return {
      agent: run.claimedBy,
      started: run.started,
      online: a ? this.#online(a) : this.#siteOnline(run.site),
    };
  }

  siteOnline(site: string): Promise<boolean> {
    return Promise.resolve(this.#siteOnline(site));
  }

  #siteOnline(site: string): boolean {
    for (const a of this.#agents.values()) {
      if (a.site === site && this.#online(a)) return true;
    }
    return false;
  }

  agents(): Promise<AgentInfo[]> {
    return Promise.resolve(this.#agentList());
  }

  #agentList(): AgentInfo[] {
    return [...this.#agents].map(([name, a]) => ({
      name,
      site: a.site,
      version: a.version,
      last_seen: new Date(a.lastSeen).toISOString(),
      online: this.#online(a),
    })).sort((x, y) =>
      x.site.localeCompare(y.site) || x.name.localeCompare(y.name)
    );
  }
}
