// Where probes leave from: the local engine, or an agent at another site.
// The runner needs only this much of a run (the engine's ProbeRun has it).
import type {
  ProbeOutcome,
  ProbeRecord,
  ProbeSettings,
  TargetStats,
} from "../../model/probe.ts";
import type { ResolvedTarget, TargetSpec } from "../../probe/target.ts";

export interface RunHandle {
  readonly targets: ResolvedTarget[];
  readonly done: Promise<void>;
  readonly stopped: boolean;
  /** Set when the run ended because its executor went away (an agent offline). */
  readonly interrupted?: string;
  /** Set when the executor ended the run with an error (an agent's). */
  readonly error?: string;
  stop(): void;
  stopTarget(i: number): void;
  stats(i: number): TargetStats;
}

/** A run whose per-probe outcomes can be read (a monitor's step folds them). */
export interface OutcomeRun extends RunHandle {
  outcomes(i: number): readonly ProbeOutcome[];
}

export interface ExecuteOptions {
  onProbe?: (record: ProbeRecord) => void;
  /** The test the run belongs to (names a remote run). */
  runId?: string;
}

export interface Executor {
  run(
    targets: TargetSpec[],
    settings: ProbeSettings,
    options: ExecuteOptions,
  ): Promise<RunHandle>;
}
