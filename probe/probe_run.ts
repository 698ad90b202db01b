// What every run of probes offers its callers, whatever the probe kind: the
// ICMP engine's run and the TCP/TLS kinds' run (probe/tcp/kind_run.ts).
import type { ProbeSettings, TargetStats } from "../model/probe.ts";
import type { ProbeSlot } from "./probe_slot.ts";
import type { ResolvedTarget } from "./target.ts";

/** One started probing run over several targets. */
export interface ProbeRun {
  readonly targets: ResolvedTarget[];
  readonly settings: ProbeSettings;
  /** RunOptions.lingerMs: undefined listens until the last probe's timeout. */
  readonly lingerMs?: number;
  readonly done: Promise<void>;
  readonly stopped: boolean;
  /** Stops sending at once; answers in flight are awaited until their timeout. */
  stop(): void;
  /** Stops sending to the target at `i` only. */
  stopTarget(i: number): void;
  /** Cumulative statistics of the target at `i` (index into `targets`). */
  stats(i: number): TargetStats;
  /** Probes of the target at `i` in send order, as known now. */
  outcomes(i: number): readonly ProbeSlot[];
}
