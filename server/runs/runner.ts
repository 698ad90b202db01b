// Starts and tracks tests: runs the engine, publishes to each test's hub
// (probe, interval every second, status, summary, end; a path test's hop,
// route_change and path events come from path_execution.ts) and persists to
// the store.
import type { Engine } from "../../probe/engine.ts";
import type { Executor, RunHandle } from "../agents/executor.ts";
import { checkPlacement, placeTargets } from "../agents/site_placement.ts";
import type { ProbeRecord } from "../../model/probe.ts";
import type { Config } from "../config/config.ts";
import { TestHub } from "../events/hub.ts";
import { ChunkBudget, ReplayCache } from "../events/replay.ts";
import { ConflictError, NotFoundError, UnavailableError } from "../errors.ts";
import type { RunStore } from "../store/run_store.ts";
import type {
  RunEvent,
  RunEventBody,
  RunEventData,
  RunEventType,
} from "../../model/events.ts";
import { encodeCursor, type TestListQuery, toStoreQuery } from "./run_list.ts";
import { readSamplesPage, type SamplesPage } from "./samples.ts";
import type { TargetReport, TestMeta, TestStatus } from "../../model/run.ts";
import { validateTestRequest } from "./run_request.ts";
import { ppsOf, type RunningTest } from "../policy/limits.ts";
import { admit } from "./admission.ts";
import { TargetPolicy } from "../policy/target_policy.ts";
import type { PathRun } from "../../probe/path/path_run.ts";
import type { PathSummary } from "../../model/path.ts";
import { executePath, livePaths } from "./path_execution.ts";
import type { RunnerCluster } from "../cluster/cluster.ts";

export interface RunnerOptions {
  engine: Engine;
  config: Config;
  store: RunStore;
  /** Period of the `interval` events; default 1000 ms. */
  reportEveryMs?: number;
  /** Finished tests whose event log stays in memory for replay; default 100. */
  keepFinished?: number;
  /** Probes per second the monitors send: tests are admitted within max_pps less this. */
  monitorsPps?: () => number;
  /** Sees every published event (the /metrics collector). */
  observe?: (testId: string, event: RunEventBody) => void;
  /** Newest events of a running test kept in memory; older replays read the store. */
  hubKeep?: number;
  /** What may be probed; default: built from the config. */
  policy?: TargetPolicy;
  /** Replicas on a shared database: global limits, tests running elsewhere. */
  cluster?: RunnerCluster;
  /** Where ping tests' probes leave from, by target site; default: the engine (every target local). */
  executor?: Executor;
  /** Whether a remote site has an agent online (a test there is refused without). */
  siteOnline?: (site: string) => Promise<boolean>;
}

/** Publishes one event of a run (to its hub and store). */
export type RunEmit = <T extends RunEventType>(
  type: T,
  data: RunEventData<T>,
) => void;

/** Starts an external run: it publishes through `emit` until its `done`. */
export type ExternalBegin = (emit: RunEmit) => Promise<RunHandle>;

interface LiveTest {
  meta: TestMeta;
  /** Resolved and checked addresses, one per target: what the engine probes. */
  addresses: string[];
  hub: TestHub;
  run: RunHandle | null;
  /** A path test's runs, one per target, once started. */
  paths: PathRun[] | null;
  stopRequested: boolean;
  /** An external executor's start (device tests); else the engine or an agent runs it. */
  begin?: ExternalBegin;
  /** Set when the test's data could not be stored: it stops and ends `failed`. */
  storageError?: string;
  /** Why a remote part of the run was cut short: the test ends `interrupted`. */
  interrupted?: string;
  finished: Promise<void>;
  /** Once every event is stored: the shared reads replays use. */
  replay?: ReplayCache;
}

/** Finished tests whose replay hub (and its few cached chunks) is kept for sharing. */
const REPLAY_HUBS = 32;

/** Stops whatever the test runs (its engine run, or its path runs). */
function stopLive(live: LiveTest): void {
  live.run?.stop();
  for (const p of live.paths ?? []) p.stop();
}

export function newId(): string {
  // Sortable by creation time, unique by a random tail.
  const t = Date.now().toString(36).padStart(9, "0");
  const r = crypto.getRandomValues(new Uint8Array(4));
  return t + [...r].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export class Runner {
  readonly #engine: Engine;
  readonly #executor: Executor;
  readonly #siteOnline: (site: string) => Promise<boolean>;
  readonly #config: Config;
  readonly #store: RunStore;
  readonly #reportEveryMs: number;
  readonly #keepFinished: number;
  readonly #observe: RunnerOptions["observe"];
  readonly #hubKeep: number;
  readonly #tests = new Map<string, LiveTest>();
  readonly #policy: TargetPolicy;
  readonly #cluster?: RunnerCluster;
  /** Replay hubs of finished tests, least recently used first. */
  readonly #replays = new Map<string, TestHub>();

  /** RunnerOptions.monitorsPps; settable once the monitors exist. */
  monitorsPps?: () => number;

  /** Probes per second of the running tests (monitor admissions count them). */
  get runningPps(): number {
    return this.#runningTests().reduce(
      (sum, t) => sum + ppsOf(t.targets, t.settings),
      0,
    );
  }

  constructor(options: RunnerOptions) {
    this.monitorsPps = options.monitorsPps;
    this.#engine = options.engine;
    this.#executor = options.executor ?? options.engine;
    this.#siteOnline = options.siteOnline ?? (() => Promise.resolve(false));
    this.#config = options.config;
    this.#store = options.store;
    this.#reportEveryMs = options.reportEveryMs ?? 1000;
    this.#keepFinished = options.keepFinished ?? 100;
    this.#observe = options.observe;
    this.#hubKeep = options.hubKeep ?? 1000;
    this.#cluster = options.cluster;
    this.#policy = options.policy ??
      new TargetPolicy(options.config.targets, options.config.servers);
    this.#store.onWriteError((id, e) => this.#storageFailed(id, e));
  }

  /** A test whose data cannot be written stops rather than record what would be lost. */
  #storageFailed(id: string, e: Error): void {
    const live = this.#tests.get(id);
    if (!live || live.meta.status !== "running" || live.storageError) return;
    live.storageError = `storage: cannot write the test's data (${e.message})`;
    stopLive(live);
  }

  get running(): number {
    let n = 0;
    for (const t of this.#tests.values()) if (t.meta.status === "running") n++;
    return n;
  }

  #runningTests(): RunningTest[] {
    return [...this.#tests.values()]
      .filter((t) => t.meta.status === "running")
      .map((t) => ({
        who: t.meta.created_by ?? "anonymous",
        targets: t.meta.targets.length,
        settings: t.meta.settings,
        startedAt: Date.parse(t.meta.created_at),
      }));
  }

  /**
   * Validates the request body, resolves and checks its targets, admits it
   * under the limits and starts it; returns its metadata at once. `who` is the
   * user it runs for (per-user limit, `created_by`).
   */
  async start(body: unknown, who = "anonymous"): Promise<TestMeta> {
    const { targets: asked, settings, sites } = validateTestRequest(
      body,
      this.#config,
      this.#policy,
    );
    const targets = placeTargets(
      asked,
      await this.#policy.resolve(asked),
      sites,
      this.#config,
    );
    await checkPlacement(targets, settings.mode, this.#siteOnline);
    const meta: TestMeta = {
      id: newId(),
      status: "running",
      created_at: new Date().toISOString(),
      finished_at: null,
      created_by: who,
      settings,
      targets: targets.map((s) => ({
        id: s.id,
        name: s.name,
        host: s.host,
        address: s.address,
        ...(s.site ? { site: s.site } : {}),
      })),
    };
    return await this.#launch(
      meta,
      targets.map((a) => a.address),
      who,
    );
  }

  /**
   * Starts a run whose executor lives outside the engine (a device test: the
   * client probes, the server's echo peer counts), under the same limits,
   * store, hub and end states. `begin` starts it once it is admitted and
   * stored; `meta` is kept by reference, so the executor may update fields
   * such as `meta.device` and they are saved with the final status.
   */
  async startExternal(
    meta: TestMeta,
    who: string,
    begin: ExternalBegin,
  ): Promise<TestMeta> {
    return await this.#launch(
      meta,
      meta.targets.map((t) => t.address ?? t.host),
      who,
      begin,
    );
  }

  async #launch(
    meta: TestMeta,
    addresses: string[],
    who: string,
    begin?: ExternalBegin,
  ): Promise<TestMeta> {
    const live: LiveTest = {
      meta,
      addresses,
      begin,
      hub: new TestHub({
        keep: this.#hubKeep,
        // One stored chunk per call; shared between readers once finished.
        backfill: (after) =>
          live.replay
            ? live.replay.chunk(after)
            : this.#store.chunkAfter(meta.id, after),
      }),
      run: null,
      paths: null,
      stopRequested: false,
      finished: Promise.resolve(),
    };
    await admit({
      next: { who, targets: meta.targets.length, settings: meta.settings },
      limits: this.#config.limits,
      local: () => ({
        running: this.#runningTests(),
        monitorsPps: this.monitorsPps?.() ?? 0,
      }),
      register: async () => {
        this.#tests.set(meta.id, live);
        try {
          await this.#store.saveTest(meta);
        } catch (e) {
          this.#tests.delete(meta.id);
          throw new UnavailableError(
            `storage: cannot record a new test (${(e as Error).message})`,
          );
        }
      },
      cluster: this.#cluster,
    });
    this.#emit(live, "status", { id: meta.id, status: meta.status });
    live.finished = this.#execute(live);
    return structuredClone(meta);
  }

  /** Publishes to the test's hub and stores the event with the same id. */
  #emit<T extends RunEventType>(
    live: LiveTest,
    type: T,
    data: RunEventData<T>,
  ): void {
    const ev = live.hub.publish(type, data);
    this.#store.appendEvent(live.meta.id, ev);
    this.#observe?.(live.meta.id, ev);
  }

  async #execute(live: LiveTest): Promise<void> {
    const { meta } = live;
    let error: string | undefined;
    let stopped = false;
    try {
      if (meta.settings.mode === "path") {
        await executePath({
          engine: this.#engine,
          meta,
          addresses: live.addresses,
          reportEveryMs: this.#reportEveryMs,
          emit: (type, data) => this.#emit(live, type, data),
          started: (paths) => {
            live.paths = paths;
            if (live.stopRequested || live.storageError) stopLive(live);
          },
          saveMeta: () => this.#store.saveTest(meta),
          savePaths: (paths) => this.#store.savePaths(meta.id, paths),
        });
        stopped = live.stopRequested;
      } else stopped = await this.#executePing(live);
    } catch (e) {
      error = (e as Error).message;
    }
    error = live.storageError ?? error;
    const status: TestStatus = error
      ? "failed"
      : live.interrupted
      ? "interrupted"
      : stopped
      ? "stopped"
      : "completed";
    if (error ?? live.interrupted) meta.error = error ?? live.interrupted;
    meta.status = status;
    meta.finished_at = new Date().toISOString();
    this.#emit(live, "status", {
      id: meta.id,
      status,
      ...(meta.error ? { error: meta.error } : {}),
    });
    this.#emit(live, "end", { id: meta.id, status });
    await this.#store.flush();
    live.replay = this.#replayCache(meta.id);
    // The store has it all now; replays of a finished test read from there,
    // and the run's per-probe outcomes are let go.
    live.hub.trim(0);
    live.run = null;
    live.paths = null;
    try {
      await this.#store.saveTest(meta);
    } catch (e) {
      // Still served from memory; after a restart it reads `interrupted`.
      console.error(`test ${meta.id}: final status not stored:`, e);
    }
    this.#forgetOldFinished();
  }

  /** A ping test: probe events, `interval` reports, a `summary` per target; true when stopped. */
  async #executePing(live: LiveTest): Promise<boolean> {
    const { meta } = live;
    const onProbe = (r: ProbeRecord) => {
      this.#emit(live, "probe", {
        timestamp: new Date(r.sent_at).toISOString(),
        ...r,
      });
    };
    let timer: ReturnType<typeof setInterval> | undefined;
    let run: RunHandle | null = null;
    try {
      run = live.begin
        ? await live.begin((type, data) => this.#emit(live, type, data))
        : await this.#executor.run(
          meta.targets.map((t, i) => ({
            target: t.id,
            host: live.addresses[i],
            name: t.host,
            site: t.site,
          })),
          meta.settings,
          { onProbe, runId: meta.id },
        );
      const started = live.run = run;
      run.targets.forEach((t, i) => meta.targets[i].address = t.address);
      if (live.stopRequested || live.storageError) run.stop();
      timer = setInterval(() => {
        for (const r of this.#reports(started)) {
          this.#emit(live, "interval", r);
        }
      }, this.#reportEveryMs);
      await this.#store.saveTest(meta);
      await run.done;
      clearInterval(timer);
      const summary = this.#reports(run);
      for (const r of summary) this.#emit(live, "summary", r);
      await this.#store.saveSummary(meta.id, summary);
      live.interrupted = run.interrupted;
      if (run.error) throw new Error(run.error);
      return run.stopped;
    } catch (e) {
      // Nothing may be published after `end`: let the run wind down first.
      run?.stop();
      await run?.done;
      throw e;
    } finally {
      clearInterval(timer);
    }
  }

  #reports(run: RunHandle): TargetReport[] {
    const timestamp = new Date().toISOString();
    return run.targets.map((t, i) => ({
      timestamp,
      target: t.target,
      address: t.address,
      ...run.stats(i),
    }));
  }

  #forgetOldFinished(): void {
    const finished = [...this.#tests.values()].filter((t) =>
      t.meta.status !== "running"
    );
    const excess = finished.length - this.#keepFinished;
    for (const t of finished.slice(0, Math.max(0, excess))) {
      this.#tests.delete(t.meta.id);
    }
  }

  async get(id: string): Promise<TestMeta | null> {
    const live = this.#tests.get(id);
    if (live) return structuredClone(live.meta);
    return await this.#store.getTest(id);
  }

  /** Every test, newest first: reads the whole history (tests and tools; pages use `page`). */
  async list(): Promise<TestMeta[]> {
    return (await this.page({ limit: Number.MAX_SAFE_INTEGER, after: null }))
      .tests;
  }

  /** One page of the history, newest first, from the store's indexes. */
  async page(
    q: TestListQuery,
  ): Promise<{ tests: TestMeta[]; next_cursor: string | null }> {
    const page = await this.#store.listTests(toStoreQuery(q));
    const tests = page.tests.map((m) => {
      const live = this.#tests.get(m.id);
      return live ? structuredClone(live.meta) : m;
    });
    return {
      tests,
      next_cursor: page.more && tests.length
        ? encodeCursor(tests[tests.length - 1])
        : null,
    };
  }

  /** A page of probe records after the cursor, read from there only. */
  samples(id: string, after: number, limit: number): Promise<SamplesPage> {
    return readSamplesPage(this.#store.eventChunks(id, after), after, limit);
  }

  async summary(id: string): Promise<TargetReport[] | null> {
    return await this.#store.getSummary(id);
  }

  /** A path test's paths: live while it runs, the stored final ones after; null for a ping test. */
  async paths(id: string): Promise<PathSummary[] | null> {
    const live = this.#tests.get(id);
    if (live?.meta.status === "running") {
      return live.paths ? livePaths(live.paths) : null;
    }
    return await this.#store.getPaths(id);
  }

  /** Live cumulative statistics per target of a running test, else null. */
  liveStats(id: string): TargetReport[] | null {
    const live = this.#tests.get(id);
    if (!live || live.meta.status !== "running" || !live.run) return null;
    return this.#reports(live.run);
  }

  /** Stored events of a test (probe, interval, status, summary, end) with their stream ids. */
  async events(id: string, after = 0): Promise<RunEvent[]> {
    return await this.#store.events(id, after);
  }

  /** Stored events one chunk at a time (for exports of long tests). */
  eventChunks(id: string, after = 0): AsyncGenerator<RunEvent[]> {
    return this.#store.eventChunks(id, after);
  }

  /** One memory budget for the replay chunks of every finished test. */
  readonly #replayBudget = new ChunkBudget();

  #replayCache(id: string): ReplayCache {
    return new ReplayCache(
      (after) => this.#store.chunkTextAfter(id, after),
      this.#replayBudget,
    );
  }

  /**
   * The live test's hub, or the replay hub of a finished test: its events are
   * read from the store a chunk at a time through one ReplayCache, shared by
   * every concurrent reader (no per-connection copy of the log), with the ids
   * the live stream used. A log cut short gets its `status` and `end`.
   */
  async hub(id: string): Promise<TestHub | null> {
    const live = this.#tests.get(id);
    if (live) return live.hub;
    const kept = this.#replays.get(id);
    if (kept) {
      this.#replays.delete(id);
      this.#replays.set(id, kept);
      return kept;
    }
    const meta = await this.#store.getTest(id);
    if (!meta) return null;
    const last = await this.#store.lastEvent(id);
    if (
      this.#cluster && meta.status === "running" && last?.type !== "end"
    ) return this.#cluster.follow(id, last?.id ?? 0);
    const cache = this.#replayCache(id);
    const hub = new TestHub({
      backfill: (after) => cache.chunk(after),
      startAfter: last?.id ?? 0,
    });
    if (last?.type === "end") hub.seal();
    else {
      hub.publish("status", { id, status: meta.status });
      if (!last) {
        for (const r of (await this.#store.getSummary(id)) ?? []) {
          hub.publish("summary", r);
        }
      }
      hub.publish("end", { id, status: meta.status });
    }
    if (this.#tests.has(id) || this.#replays.has(id)) return this.hub(id);
    this.#replays.set(id, hub);
    for (const old of this.#replays.keys()) {
      if (this.#replays.size <= REPLAY_HUBS) break;
      this.#replays.delete(old);
    }
    return hub;
  }

  /** Stops a running test; 404 unknown, 409 already finished. */
  async stop(id: string): Promise<TestMeta> {
    const live = this.#tests.get(id);
    if (!live) {
      const meta = await this.#store.getTest(id);
      if (!meta) throw new NotFoundError(`no test with id "${id}"`, "id");
      if (this.#cluster && meta.status === "running") {
        // Running on another replica: that one stops it.
        await this.#cluster.requestStop(id);
        return meta;
      }
      throw new ConflictError(
        `test with id "${id}" is already ${meta.status}`,
        "id",
      );
    }
    if (live.meta.status !== "running" || live.stopRequested) {
      throw new ConflictError(
        `test with id "${id}" is already ${
          live.meta.status === "running" ? "stopping" : live.meta.status
        }`,
        "id",
      );
    }
    live.stopRequested = true;
    stopLive(live);
    return structuredClone(live.meta);
  }

  /** Stops the test if it runs in this process (asked by another replica); else nothing. */
  stopIfHere(id: string): void {
    const live = this.#tests.get(id);
    if (live?.meta.status === "running" && !live.stopRequested) {
      live.stopRequested = true;
      stopLive(live);
    }
  }

  /** Waits until the test has finished (for tests and shutdown). */
  async finished(id: string): Promise<void> {
    await this.#tests.get(id)?.finished;
  }

  /** Deletes a finished test and its data; 409 while it runs. */
  async delete(id: string): Promise<void> {
    const live = this.#tests.get(id);
    if (live?.meta.status === "running") {
      throw new ConflictError(
        `test with id "${id}" is running; stop it first`,
        "id",
      );
    }
    if (!live) {
      const stored = await this.#store.getTest(id);
      if (!stored) throw new NotFoundError(`no test with id "${id}"`, "id");
      if (stored.status === "running") {
        throw new ConflictError(
          `test with id "${id}" is running; stop it first`,
          "id",
        );
      }
    }
    this.#tests.delete(id);
    this.#replays.delete(id);
    await this.#store.deleteTest(id);
  }

  /** Deletes finished tests older than the config's retention_days; returns their ids. */
  async prune(now = Date.now()): Promise<string[]> {
    const cutoff = now - this.#config.retention_days * 86_400_000;
    const gone = await this.#store.pruneFinishedBefore(cutoff);
    for (const id of gone) {
      this.#tests.delete(id);
      this.#replays.delete(id);
    }
    return gone;
  }

  /** Stops every running test and waits for them to finish. */
  async close(): Promise<void> {
    for (const t of this.#tests.values()) {
      if (t.meta.status === "running") {
        t.stopRequested = true;
        stopLive(t);
      }
    }
    await Promise.all([...this.#tests.values()].map((t) => t.finished));
  }
}
