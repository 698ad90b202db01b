// Splits one run's targets by site: the local ones go to the local executor
// (the engine), each other site's to that site's agent; the parts run side by
// side and answer as one run, targets in the order asked.
import type { ProbeSettings, TargetStats } from "../../model/probe.ts";
import { LOCAL_SITE } from "../../model/agent.ts";
import type { ResolvedTarget, TargetSpec } from "../../probe/target.ts";
import type { ExecuteOptions, Executor, RunHandle } from "./executor.ts";

/** A target and the site its probes leave from (default: local). */
export interface SitedTarget extends TargetSpec {
  site?: string;
}

class SplitRun implements RunHandle {
  readonly targets: ResolvedTarget[];
  readonly done: Promise<void>;

  constructor(
    readonly parts: RunHandle[],
    /** Target i is parts[where[i][0]].targets[where[i][1]]. */
    readonly where: [number, number][],
  ) {
    this.targets = where.map(([p, j]) => parts[p].targets[j]);
    this.done = Promise.all(parts.map((p) => p.done)).then(() => {});
  }

  get stopped(): boolean {
    return this.parts.some((p) => p.stopped);
  }

  get interrupted(): string | undefined {
    return this.parts.find((p) => p.interrupted)?.interrupted;
  }

  get error(): string | undefined {
    return this.parts.find((p) => p.error)?.error;
  }

  stop(): void {
    for (const p of this.parts) p.stop();
  }

  stopTarget(i: number): void {
    const [p, j] = this.where[i];
    this.parts[p].stopTarget(j);
  }

  stats(i: number): TargetStats {
    const [p, j] = this.where[i];
    return this.parts[p].stats(j);
  }
}

export class SiteExecutor implements Executor {
  constructor(
    readonly local: Executor,
    /** The executor of a remote site. */
    readonly remote: (site: string) => Executor,
  ) {}

  async run(
    targets: SitedTarget[],
    settings: ProbeSettings,
    options: ExecuteOptions,
  ): Promise<RunHandle> {
    const groups = new Map<string, number[]>();
    targets.forEach((t, i) => {
      const site = t.site ?? LOCAL_SITE;
      groups.set(site, [...groups.get(site) ?? [], i]);
    });
    const strip = (t: SitedTarget): TargetSpec => {
      const { site: _site, ...spec } = t;
      return spec;
    };
    if (groups.size === 1 && groups.has(LOCAL_SITE)) {
      return await this.local.run(targets.map(strip), settings, options);
    }
    const parts: RunHandle[] = [];
    const where: [number, number][] = [];
    try {
      for (const [site, idx] of groups) {
        const exec = site === LOCAL_SITE ? this.local : this.remote(site);
        idx.forEach((i, j) => where[i] = [parts.length, j]);
        parts.push(
          await exec.run(idx.map((i) => strip(targets[i])), settings, options),
        );
      }
    } catch (e) {
      // One part could not start: the others must not run on unobserved.
      for (const p of parts) p.stop();
      await Promise.all(parts.map((p) => p.done.catch(() => {})));
      throw e;
    }
    return new SplitRun(parts, where);
  }
}
