// GET /api/tests/:id/samples: a page of a test's stored probe records after a
// cursor, with its per-second interval series.
import type { ProbeRecord } from "../../model/probe.ts";
import type { RunEvent } from "../../model/events.ts";
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
  /**
   * The per-second cumulative `interval` reports (every target, in order)
   * reported between the cursor and the page's last probe; on the last page,
   * to the end of the test.
   */
  series: TargetReport[];
}

/**
 * One page of probes after event id `after`, reading the chunks only until
 * the probe after the page is seen. `series` holds the interval reports whose
 * event ids lie between the cursor and the page's last probe (on the last
 * page: to the end), so the pages' series put together are the whole series,
 * each report once, and a page never holds more than its stretch of the test.
 */
export async function readSamplesPage(
  chunks: AsyncIterable<RunEvent[]> | Iterable<RunEvent[]>,
  after: number,
  limit: number,
): Promise<SamplesPage> {
  const probes: StoredProbe[] = [];
  const series: TargetReport[] = [];
  let since: TargetReport[] = [];
  let next: number | null = after > 0 ? after : null;
  let more = false;
  read: for await (const chunk of chunks) {
    for (const ev of chunk) {
      if (ev.id <= after) continue;
      if (ev.type === "interval") since.push(ev.data);
      else if (ev.type === "probe") {
        if (probes.length === limit) {
          more = true;
          break read;
        }
        probes.push(ev.data);
        next = ev.id;
        series.push(...since);
        since = [];
      }
    }
  }
  if (!more) series.push(...since);
  return {
    probes,
    next_cursor: next !== null ? String(next) : null,
    has_more: more,
    series,
  };
}
