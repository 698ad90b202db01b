// The executor of one remote site: each run becomes a RemoteRun on the bus.
import type { ProbeSettings } from "../../model/probe.ts";
import type { TargetSpec } from "../../probe/target.ts";
import type { AgentBus } from "./agent_bus.ts";
import type { ExecuteOptions, Executor, OutcomeRun } from "./executor.ts";
import { RemoteRun } from "./remote_run.ts";

export class AgentExecutor implements Executor {
  constructor(
    readonly bus: AgentBus,
    readonly site: string,
    readonly graceMs: number,
  ) {}

  async run(
    targets: TargetSpec[],
    settings: ProbeSettings,
    options: ExecuteOptions,
  ): Promise<OutcomeRun> {
    const testId = options.runId ?? "run";
    const tail = crypto.randomUUID().slice(0, 8);
    return await RemoteRun.start({
      bus: this.bus,
      site: this.site,
      runKey: `${testId}.${this.site}.${tail}`,
      testId,
      targets,
      settings,
      onProbe: options.onProbe,
      graceMs: this.graceMs,
    });
  }
}
