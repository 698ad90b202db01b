// A path test (`"mode": "path"`, mtr-like) on the service's engine: one
// startPath per target; `probe` events as they come (with `hop`, and `from`
// for a router's answer), `route_change` events as they happen, every report
// period one `hop` event per shown hop per target (cumulative), and at the end
// a last `hop` report and one `path` event per target. The runner owns what
// every test shares (stop, storage errors, status and end).
import type { Engine } from "../../probe/engine.ts";
import type { ProbeRecord } from "../../model/probe.ts";
import type { HopRecord, PathSummary } from "../../model/path.ts";
import type { RunEventData, RunEventType } from "../../model/events.ts";
import type { TestMeta } from "../../model/run.ts";
import { type PathRun, startPath } from "../../probe/path/path_run.ts";
import { ReverseNames } from "../../probe/path/reverse_names.ts";
import {
  type LookupServiceFn,
  systemLookupService,
} from "../../probe/path/lookup_service.ts";

export interface PathExecution {
  engine: Engine;
  meta: TestMeta;
  /** Resolved and checked addresses, one per target. */
  addresses: string[];
  reportEveryMs: number;
  emit<T extends RunEventType>(type: T, data: RunEventData<T>): void;
  /** The runs have started: the runner stops them through these. */
  started(paths: PathRun[]): void;
  /** Stores the test record (the resolved addresses). */
  saveMeta(): Promise<void>;
  /** Stores the final path summaries. */
  savePaths(paths: PathSummary[]): Promise<void>;
  /** Reverse DNS; default: the system's (getnameinfo). */
  lookup?: LookupServiceFn;
}

/** Runs a path test to its end (or its stop); throws when it cannot run. */
export async function executePath(x: PathExecution): Promise<void> {
  const { meta } = x;
  const names = new ReverseNames(x.lookup ?? systemLookupService);
  const onProbe = (r: ProbeRecord) =>
    x.emit("probe", { timestamp: new Date(r.sent_at).toISOString(), ...r });
  const paths: PathRun[] = [];
  let timer: ReturnType<typeof setInterval> | undefined;
  // A hop is reported when it changed since its last report (and every hop
  // once more at the end): after the last send, while the run waits out the
  // last timeout, reports would otherwise repeat identical rows.
  const last = new Map<string, string>();
  const report = (all: boolean) => {
    for (const p of paths) {
      for (const h of p.hops()) {
        const key = `${h.target}/${h.hop}`;
        const state = changeKey(h);
        if (!all && last.get(key) === state) continue;
        last.set(key, state);
        x.emit("hop", h);
      }
    }
  };
  try {
    for (const [i, t] of meta.targets.entries()) {
      paths.push(
        await startPath(
          x.engine,
          { target: t.id, host: x.addresses[i] },
          meta.settings,
          {
            names,
            onProbe,
            onRouteChange: (c) => x.emit("route_change", c),
          },
        ),
      );
    }
    paths.forEach((p, i) => meta.targets[i].address = p.address);
    x.started(paths);
    timer = setInterval(() => report(false), x.reportEveryMs);
    await x.saveMeta();
    await Promise.all(paths.map((p) => p.done));
    clearInterval(timer);
    report(true);
    const summaries = paths.map((p) => p.summary());
    for (const s of summaries) x.emit("path", s);
    await x.savePaths(summaries);
  } catch (e) {
    // Nothing may be published after `end`: let the runs wind down first.
    for (const p of paths) p.stop();
    await Promise.all(paths.map((p) => p.done));
    throw e;
  } finally {
    clearInterval(timer);
    names.close();
  }
}

/** What a hop report's reader would see change: counts, addresses, names. */
function changeKey(h: HopRecord): string {
  return `${h.sent}/${h.received}/${h.forwarded_loss}/${
    h.hop_addresses.map((a) => `${a.address}=${a.received}:${a.name}`).join()
  }`;
}

/** The path of each target now (while a path test runs). */
export const livePaths = (paths: readonly PathRun[]): PathSummary[] =>
  paths.map((p) => p.summary());
