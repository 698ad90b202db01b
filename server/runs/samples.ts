// GET /api/tests/:id/samples: a page of a test's stored probe records after a
// cursor, with its per-second interval series.
import type { ProbeRecord } from "../../model/probe.ts";
import type { HubEvent } from "../events/hub.ts";
import type { TargetReport } from "../../model/run.ts";

export const DEFAULT_SAMPLES_LIMIT = 1000;
export const MAX_SAMPLES_LIMIT = 10_000;

/** A probe record as stored and streamed (with its ISO `timestamp`). */
export type StoredProbe = ProbeRecord & { timestamp?: string };

export interface SamplesPage {
  /** Probe records after the cursor, at most `limit`, in report order. */
  probes: StoredProbe[];
  /**
   * Pass as `cursor` for the next page: the event id of the last probe returned
   * (the given cursor when none was), so it stays valid while the test runs
   * and across restarts; null only when there is no probe at all yet.
   */
  next_cursor: string | null;
  /** More probes are stored after this page. */
  has_more: boolean;
  /** The per-second cumulative `interval` reports, every target, in order. */
  series: TargetReport[];
}

/** One page of probes after event id `after`, and the full series. */
export function samplesPage(
  events: HubEvent[],
  after: number,
  limit: number,
): SamplesPage {
  const probes: StoredProbe[] = [];
  const series: TargetReport[] = [];
  let next: number | null = after > 0 ? after : null;
  let more = false;
  for (const ev of events) {
    if (ev.type === "interval") series.push(ev.data as TargetReport);
    else if (ev.type === "probe" && ev.id > after) {
      if (probes.length < limit) {
        probes.push(ev.data as StoredProbe);
        next = ev.id;
      } else more = true;
    }
  }
  return {
    probes,
    next_cursor: next !== null ? String(next) : null,
    has_more: more,
    series,
  };
}
