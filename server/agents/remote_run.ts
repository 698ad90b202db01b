// A run executed by an agent at another site: the assignment goes out through
// the AgentBus, the agent's numbered records come back through it (each once,
// in order) and are published as they arrive; statistics are the engine's own
// code (StatsAccumulator) fed by those records, and the agent's final figures
// once it reports the end. An agent that stays offline past the grace period
// ends the run `interrupted`, with what arrived so far kept.
import type {
  ProbeOutcome,
  ProbeRecord,
  ProbeSettings,
  TargetStats,
} from "../../model/probe.ts";
import { StatsAccumulator } from "../../probe/stats_accumulator.ts";
import { parseAddress } from "../../probe/ip_address.ts";
import type { ResolvedTarget, TargetSpec } from "../../probe/target.ts";
import type { AgentBus, InboxEnd, RunState } from "./agent_bus.ts";
import type { OutcomeRun } from "./executor.ts";

export interface RemoteRunOptions {
  bus: AgentBus;
  site: string;
  runKey: string;
  testId: string;
  targets: TargetSpec[];
  settings: ProbeSettings;
  onProbe?: (record: ProbeRecord) => void;
  /** How long the run's agent may stay offline before the run is interrupted. */
  graceMs: number;
  /** How often the agent's state is looked at; default 250 ms. */
  checkEveryMs?: number;
}

class TargetOutcomes {
  readonly outcomes: ProbeOutcome[] = [];
  readonly acc = new StatsAccumulator(this.outcomes);
  final?: TargetStats;

  /** Folds one record as the engine folds a reply, loss or duplicate into its slot. */
  add(r: ProbeRecord): void {
    while (this.outcomes.length <= r.index) {
      this.outcomes.push({
        index: this.outcomes.length,
        status: "pending",
        rtt_ms: null,
        sent_ms: r.sent_at,
        received_ms: null,
        duplicates: 0,
      });
    }
    const o = this.outcomes[r.index];
    o.sent_ms = r.sent_at;
    if (r.status === "duplicate") o.duplicates++;
    else {
      o.status = r.status;
      if (r.rtt_ms !== null && (r.status === "ok" || r.status === "late")) {
        o.rtt_ms = r.rtt_ms;
        o.received_ms = r.sent_at + r.rtt_ms;
      }
    }
    this.acc.observe(o);
  }
}

export class RemoteRun implements OutcomeRun {
  readonly targets: ResolvedTarget[];
  readonly done: Promise<void>;
  readonly runKey: string;
  #stopped = false;
  #interrupted?: string;
  #error?: string;
  #finish!: () => void;
  #finished = false;
  readonly #per: TargetOutcomes[];
  readonly #index = new Map<string, number>();
  readonly #o: RemoteRunOptions;
  #timer: ReturnType<typeof setInterval> | undefined;
  #checking = false;
  #offlineSince: number | null = null;
  #stopAt: number | null = null;

  /** Queues the assignment and watches the agent; resolves once queued. */
  static async start(o: RemoteRunOptions): Promise<RemoteRun> {
    const run = new RemoteRun(o);
    await o.bus.assign(o.site, {
      test_id: o.testId,
      run_key: o.runKey,
      targets: o.targets.map((t) => ({ target: t.target, host: t.host })),
      settings: o.settings,
    }, {
      records: (rs) => run.#records(rs),
      done: (d) => run.#done(d),
    });
    run.#timer = setInterval(() => run.#check(), o.checkEveryMs ?? 250);
    return run;
  }

  private constructor(o: RemoteRunOptions) {
    this.#o = o;
    this.runKey = o.runKey;
    this.targets = o.targets.map((t) => ({
      ...t,
      address: t.host,
      family: parseAddress(t.host)?.family ?? 4,
    }));
    this.#per = o.targets.map(() => new TargetOutcomes());
    o.targets.forEach((t, i) => this.#index.set(t.target, i));
    this.done = new Promise((resolve) => this.#finish = resolve);
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  get interrupted(): string | undefined {
    return this.#interrupted;
  }

  /** The agent's error, when it ended the run with one. */
  get error(): string | undefined {
    return this.#error;
  }

  #records(rs: ProbeRecord[]): void {
    for (const r of rs) {
      const i = this.#index.get(r.target);
      if (i === undefined) continue; // not one of this run's targets
      this.#per[i].add(r);
      this.#o.onProbe?.(r);
    }
  }

  #done(d: InboxEnd): void {
    d.stats?.forEach((s, i) => {
      if (this.#per[i]) this.#per[i].final = s;
    });
    if (d.stopped) this.#stopped = true;
    // A run its agent lost (a restart) is cut short, not failed: data kept.
    if (d.lost) this.#interrupted = d.error;
    else if (d.error) this.#error = d.error;
    this.#end();
  }

  #end(): void {
    if (this.#finished) return;
    this.#finished = true;
    clearInterval(this.#timer);
    this.#o.bus.close(this.runKey).catch((e) =>
      console.error(`agent run ${this.runKey}: close failed:`, e)
    );
    this.#finish();
  }

  async #check(): Promise<void> {
    if (this.#checking || this.#finished) return;
    this.#checking = true;
    try {
      this.#judge(await this.#o.bus.runState(this.runKey));
    } catch (e) {
      // The bus's store failing is not the agent going away: look again later.
      console.error(`agent run ${this.runKey}: state unknown:`, e);
    } finally {
      this.#checking = false;
    }
  }

  #judge(state: RunState): void {
    if (this.#finished) return;
    const now = Date.now();
    if (this.#stopped && !state.started) return this.#end();
    // A stopped run whose end never comes (the agent lost it) ends anyway.
    if (
      this.#stopAt !== null &&
      now - this.#stopAt > this.#o.settings.timeout_ms + this.#o.graceMs
    ) return this.#end();
    if (state.online) {
      this.#offlineSince = null;
      return;
    }
    this.#offlineSince ??= now;
    if (now - this.#offlineSince >= this.#o.graceMs) {
      this.#interrupted = `site ${this.#o.site}: ${
        state.agent ? `agent ${state.agent}` : "no agent"
      } offline; gave up after a grace of ${
        Math.round(this.#o.graceMs / 1000)
      } s`;
      this.#end();
    }
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#stopAt = Date.now();
    this.#o.bus.cancel(this.runKey).catch((e) =>
      console.error(`agent run ${this.runKey}: cancel failed:`, e)
    );
  }

  /** Path mode only, which runs at the service: nothing to do. */
  stopTarget(_i: number): void {}

  outcomes(i: number): readonly ProbeOutcome[] {
    return this.#per[i].outcomes;
  }

  stats(i: number): TargetStats {
    const t = this.#per[i];
    return t.final ?? t.acc.stats();
  }
}
