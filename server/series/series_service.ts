// Series and distributions of a test from its stored probes: a finished
// test's probe index is built once and cached; a running test's is built
// fresh for each request (its log still grows).
import type { LatestTls } from "../../model/probe.ts";
import type { RunEvent } from "../../model/events.ts";
import type { TestMeta } from "../../model/run.ts";
import {
  CDF_STEPS,
  type DistributionResponse,
  type SeriesRange,
  type SeriesResponse,
} from "../../model/series.ts";
import { NotFoundError } from "../errors.ts";
import { bucketSeries, cdfOf, rangeOf, rawSeries } from "./downsample.ts";
import {
  buildProbeIndex,
  OK,
  type ProbeIndex,
  sortedRtts,
} from "./probe_index.ts";
import { SeriesCache } from "./series_cache.ts";

/** What the service reads: the runner (live tests, then the store). */
export interface SeriesSource {
  get(id: string): Promise<TestMeta | null>;
  eventChunks(id: string): AsyncGenerator<RunEvent[]>;
}

/** Answers kept per finished test range (the overview is asked at every open). */
const MEMO = 64;

export class SeriesService {
  readonly #memo = new Map<string, SeriesResponse>();

  constructor(
    readonly source: SeriesSource,
    readonly cache = new SeriesCache(),
  ) {}

  async #meta(id: string): Promise<TestMeta> {
    const meta = await this.source.get(id);
    if (!meta) throw new NotFoundError(`no test with id "${id}"`, "id");
    return meta;
  }

  async #index(meta: TestMeta): Promise<ProbeIndex> {
    const id = meta.id;
    const order = meta.targets.map((t) => t.id);
    const build = () => buildProbeIndex(this.source.eventChunks(id), order);
    return meta.status === "running"
      ? await build()
      : await this.cache.get(id, build);
  }

  async series(id: string, q: SeriesRange): Promise<SeriesResponse> {
    // Asked every time: a deleted test is a 404, not a memoised answer.
    const meta = await this.#meta(id);
    const key = `${id}|${q.from ?? ""}|${q.to ?? ""}|${q.points}`;
    const memo = this.#memo.get(key);
    if (memo && meta.status !== "running") return memo;
    const out = await this.#series(meta, q);
    if (out.status !== "running") {
      this.#memo.set(key, out);
      if (this.#memo.size > MEMO) {
        this.#memo.delete(this.#memo.keys().next().value!);
      }
    }
    return out;
  }

  async #series(meta: TestMeta, q: SeriesRange): Promise<SeriesResponse> {
    const id = meta.id;
    const index = await this.#index(meta);
    const ends = wholeRange(meta, index);
    const from = q.from ?? ends[0];
    const to = Math.max(from, q.to ?? ends[1]);
    const ranges = index.targets.map((p) => rangeOf(p, from, to));
    const most = Math.max(0, ...ranges.map(([lo, hi]) => hi - lo));
    const raw = most <= q.points;
    const scratch = new Float64Array(most);
    const targets = index.targets.map((p, i) => {
      const [lo, hi] = ranges[i];
      return raw
        ? rawSeries(p, lo, hi)
        : bucketSeries(p, lo, hi, from, to, q.points, scratch);
    });
    return {
      id,
      status: meta.status,
      from,
      to,
      points: q.points,
      bucket_ms: raw ? 0 : (to - from) / q.points,
      raw,
      probes: ranges.reduce((s, [lo, hi]) => s + hi - lo, 0),
      targets,
    };
  }

  /** Builds and caches a finished test's index ahead of its first view. */
  async warm(id: string): Promise<void> {
    try {
      const meta = await this.#meta(id);
      // Path tests keep their hop view: nothing to build for them.
      if (meta.status !== "running" && meta.settings.mode !== "path") {
        await this.#index(meta);
      }
    } catch (e) {
      console.error(`series: warm ${id}:`, e);
    }
  }

  /** Each target's last TLS handshake, in the order of meta.targets. */
  async latestTls(meta: TestMeta): Promise<(LatestTls | null)[]> {
    const index = await this.#index(meta);
    return meta.targets.map((t) =>
      index.targets.find((p) => p.target === t.id)?.lastTls ?? null
    );
  }

  async distribution(id: string): Promise<DistributionResponse> {
    const meta = await this.#meta(id);
    const index = await this.#index(meta);
    return {
      id,
      status: meta.status,
      targets: index.targets.map((p) => {
        const sorted = sortedRtts(p);
        let received = 0;
        for (let i = 0; i < p.status.length; i++) {
          if (p.status[i] === OK) received++;
        }
        return {
          target: p.target,
          sent: p.t.length,
          received,
          lost: p.t.length - received,
          cdf: cdfOf(sorted, CDF_STEPS),
        };
      }),
    };
  }
}

/** First to last send time over all targets; no probes: the test's own times. */
function wholeRange(meta: TestMeta, index: ProbeIndex): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (const p of index.targets) {
    if (!p.t.length) continue;
    lo = Math.min(lo, p.t[0]);
    hi = Math.max(hi, p.t[p.t.length - 1]);
  }
  if (lo <= hi) return [lo, hi];
  const start = Date.parse(meta.created_at);
  const end = meta.finished_at ? Date.parse(meta.finished_at) : Date.now();
  return [start, Math.max(start, end)];
}
