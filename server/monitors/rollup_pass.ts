// The rollup pass both monitor stores run (one algorithm, so both resume
// alike): every complete hour from the step points and every complete day
// from the hour points, starting after the newest stored rollup (or at the
// first finer point), skipping hours and days without data in one read each.
import type { MonitorPoint, Resolution } from "../../model/monitor.ts";
import { rollup } from "./rollup.ts";
import { SPAN_MS } from "./monitor_store.ts";

/** The reads and the write the pass needs from a store. */
export interface RollupReads {
  lastPoint(id: string, res: Resolution): Promise<MonitorPoint | null>;
  /** The oldest point with t >= from, else null. */
  firstPoint(
    id: string,
    res: Resolution,
    from: number,
  ): Promise<MonitorPoint | null>;
  points(
    id: string,
    res: Resolution,
    from: number,
    to: number,
  ): Promise<MonitorPoint[]>;
  putPoint(id: string, res: Resolution, p: MonitorPoint): Promise<void>;
}

export async function rollUpPass(
  store: RollupReads,
  id: string,
  upTo: number,
): Promise<MonitorPoint[]> {
  const made: MonitorPoint[] = [];
  for (const [res, finer] of [["hour", "step"], ["day", "hour"]] as const) {
    const span = SPAN_MS[res];
    const last = await store.lastPoint(id, res);
    let start: number;
    if (last) start = last.t + span;
    else {
      const first = await store.firstPoint(id, finer, 0);
      if (!first) continue;
      start = Math.floor(first.t / span) * span;
    }
    let t = start;
    while (t + span <= upTo) {
      const next = await store.firstPoint(id, finer, t);
      if (!next) break;
      t = Math.max(t, Math.floor(next.t / span) * span);
      if (t + span > upTo) break;
      const pts = await store.points(id, finer, t, t + span);
      if (pts.length) {
        const p = rollup(pts, t, span / 1000);
        await store.putPoint(id, res, p);
        made.push(p);
      }
      t += span;
    }
  }
  return made;
}
