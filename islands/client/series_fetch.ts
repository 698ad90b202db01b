// GET /api/tests/{id}/series and /distribution from the browser.
import type {
  DistributionResponse,
  SeriesResponse,
} from "../../model/series.ts";

/** A time range, epoch ms, both ends inclusive. */
export interface Range {
  from: number;
  to: number;
}

async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(path);
  const body = await res.json().catch(() => null);
  if (!res.ok) {
    throw new Error(body?.detail ?? `${res.status} ${res.statusText}`);
  }
  return body as T;
}

const testPath = (id: string) => `/api/tests/${encodeURIComponent(id)}`;

/** The series of `range` (null: the whole test) in about `points` buckets. */
export function fetchSeries(
  id: string,
  range: Range | null,
  points: number,
): Promise<SeriesResponse> {
  const q = new URLSearchParams({ points: String(points) });
  if (range) {
    q.set("from", String(range.from));
    q.set("to", String(range.to));
  }
  return getJson(`${testPath(id)}/series?${q}`);
}

export const fetchDistribution = (id: string): Promise<DistributionResponse> =>
  getJson(`${testPath(id)}/distribution`);
