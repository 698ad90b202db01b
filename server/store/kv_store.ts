// Deno KV persistence: test metadata and status, summaries, and the test's
// event log (probe records, per-second interval reports, status, summary, end),
// each with the event id the live stream used, in chunks kept below KV's
// 64 KiB value limit, flushed at least every second.
// The key layout is in kv_layout.ts; older layouts are converted at open
// (kv_migrate.ts).
import type { ProbeEventData } from "../../model/events.ts";
import type { TargetReport, TestMeta } from "../../model/run.ts";
import type { PathSummary } from "../../model/path.ts";
import {
  eventKey,
  indexKeys,
  keyText,
  listSelector,
  type TestListQuery,
} from "./kv_layout.ts";
import { migrateKv } from "./kv_migrate.ts";
import type {
  ReadCounts,
  RunStore,
  StoredEvent,
  WriteErrorListener,
} from "./run_store.ts";

export type { ReadCounts, RunStore, StoredEvent, WriteErrorListener };

/** Serialized bytes per event chunk; well under the 64 KiB value limit. */
export const CHUNK_BYTES = 48 * 1024;

interface OpenChunk {
  /** Id of the first event: the chunk's key. */
  first: number;
  records: string[];
  bytes: number;
  /** Id of the last event in the chunk (0 when empty). */
  lastId: number;
}

export interface StoreOptions {
  /** How often buffered events are written; default 1000 ms. */
  flushEveryMs?: number;
}

/** Id of the last record of a stored chunk's JSON text (0 when none). */
function lastRecordId(text: string): number {
  const at = text.lastIndexOf('{"id":', text.lastIndexOf(',"type":"'));
  const m = /^\{"id":(\d+),/.exec(text.slice(at, at + 32));
  if (m) return Number(m[1]);
  return (JSON.parse(text) as StoredEvent[]).at(-1)?.id ?? 0;
}

export class KvStore implements RunStore {
  readonly kind = "kv";
  readonly #kv: Deno.Kv;
  readonly #pending = new Map<string, StoredEvent[]>();
  /** Batches taken from #pending by the flush in progress, until written. */
  #writing = new Map<string, StoredEvent[]>();
  readonly #chunks = new Map<string, OpenChunk>();
  readonly #timer: ReturnType<typeof setInterval>;
  #flushing: Promise<void> = Promise.resolve();
  #closed = false;
  readonly #writeErrorListeners: WriteErrorListener[] = [];
  #writeError: string | null = null;
  /** Counted reads (entries listed, keys got) since the store opened. */
  readonly reads: ReadCounts = { listed: 0, got: 0 };

  /** Why the last flush could not write, until one succeeds; null when writes work. */
  get writeError(): string | null {
    return this.#writeError;
  }

  onWriteError(listener: WriteErrorListener): void {
    this.#writeErrorListeners.push(listener);
  }

  /** The open KV handle, for other records kept in the same database (the audit trail). */
  get kv(): Deno.Kv {
    return this.#kv;
  }

  private constructor(kv: Deno.Kv, flushEveryMs: number) {
    this.#kv = kv;
    this.#timer = setInterval(() => void this.flush(), flushEveryMs);
  }

  /**
   * Opens the KV file (":memory:" for none), converts an older layout, and
   * marks tests left running as interrupted.
   */
  static async open(
    path: string,
    options: StoreOptions = {},
  ): Promise<KvStore> {
    if (path !== ":memory:") {
      const dir = path.includes("/")
        ? path.slice(0, path.lastIndexOf("/"))
        : "";
      if (dir) await Deno.mkdir(dir, { recursive: true });
    }
    const kv = await Deno.openKv(path);
    const store = new KvStore(kv, options.flushEveryMs ?? 1000);
    try {
      await store.migrate();
      await store.markInterrupted();
    } catch (e) {
      clearInterval(store.#timer);
      kv.close();
      throw e;
    }
    return store;
  }

  async *#list<T>(
    selector: Deno.KvListSelector,
    options?: Deno.KvListOptions,
  ): AsyncGenerator<Deno.KvEntry<T>> {
    for await (const e of this.#kv.list<T>(selector, options)) {
      this.reads.listed++;
      yield e;
    }
  }

  /** Converts an older key layout (kv_migrate.ts); a no-op when current. */
  async migrate(): Promise<void> {
    await migrateKv(this.#kv, (meta) => this.saveTest(meta));
  }

  /** Tests stored as `running` belong to a previous process: they become `interrupted`. */
  async markInterrupted(): Promise<number> {
    let n = 0;
    const running: string[] = [];
    for await (
      const e of this.#list<string>({ prefix: ["tests_by_status", "running"] })
    ) running.push(e.value);
    for (const id of running) {
      const meta = await this.getTest(id);
      if (meta?.status !== "running") continue;
      await this.saveTest({
        ...meta,
        status: "interrupted",
        finished_at: meta.finished_at ?? new Date().toISOString(),
      });
      await this.#closeLog(id, "interrupted");
      n++;
    }
    return n;
  }

  /** Ends a stored event log cut short: `status` and `end` after its last event, so replays end. */
  async #closeLog(id: string, status: "interrupted"): Promise<void> {
    const lastEvent = await this.lastEvent(id);
    if (lastEvent?.type === "end") return;
    const next = (lastEvent?.id ?? 0) + 1;
    const tail: StoredEvent[] = [
      { id: next, type: "status", data: { id, status } },
      { id: next + 1, type: "end", data: { id, status } },
    ];
    await this.#kv.set(eventKey(id, next), JSON.stringify(tail));
  }

  /**
   * Writes the test record and moves its index entries (a status change moves
   * it between status listings) in one atomic operation, checked against the
   * record it replaces.
   */
  async saveTest(meta: TestMeta): Promise<void> {
    for (;;) {
      const prev = await this.#kv.get<TestMeta>(["tests", meta.id]);
      const keep = new Set(indexKeys(meta).map(keyText));
      const op = this.#kv.atomic().check(prev).set(["tests", meta.id], meta);
      if (prev.value) {
        for (const k of indexKeys(prev.value)) {
          if (!keep.has(keyText(k))) op.delete(k);
        }
      }
      for (const k of indexKeys(meta)) op.set(k, meta.id);
      if ((await op.commit()).ok) return;
    }
  }

  async getTest(id: string): Promise<TestMeta | null> {
    this.reads.got++;
    return (await this.#kv.get<TestMeta>(["tests", id])).value;
  }

  /** Test records by id (missing ones left out), in the given order. */
  async getTests(ids: string[]): Promise<TestMeta[]> {
    const batches: Promise<Deno.KvEntryMaybe<TestMeta>[]>[] = [];
    // getMany takes at most 10 keys.
    for (let i = 0; i < ids.length; i += 10) {
      const keys = ids.slice(i, i + 10).map((id) => ["tests", id]);
      this.reads.got += keys.length;
      batches.push(this.#kv.getMany<TestMeta[]>(keys));
    }
    return (await Promise.all(batches)).flat()
      .map((e) => e.value)
      .filter((m): m is TestMeta => m !== null);
  }

  /**
   * One page of tests, newest first (created_at, then id, descending): a
   * reverse range read of the narrowest index for the filters, `limit + 1`
   * entries at most, then the records of the page.
   */
  async listTests(
    q: TestListQuery = { limit: Number.MAX_SAFE_INTEGER },
  ): Promise<{ tests: TestMeta[]; more: boolean }> {
    const selector = listSelector(q);
    const ids: string[] = [];
    const limit = Math.min(q.limit + 1, 100_000);
    for await (
      const e of this.#list<string>(selector, {
        reverse: true,
        limit,
        batchSize: Math.min(limit, 500),
      })
    ) ids.push(e.value);
    const more = ids.length > q.limit;
    return { tests: await this.getTests(ids.slice(0, q.limit)), more };
  }

  async saveSummary(id: string, summary: TargetReport[]): Promise<void> {
    await this.#kv.set(["summaries", id], summary);
  }

  async getSummary(id: string): Promise<TargetReport[] | null> {
    this.reads.got++;
    return (await this.#kv.get<TargetReport[]>(["summaries", id])).value;
  }

  /**
   * The final path summaries of a path test, one KV value per target (a
   * 64-hop path is tens of KB: several would pass the 64 KiB value limit).
   */
  async savePaths(id: string, paths: PathSummary[]): Promise<void> {
    for (const [i, p] of paths.entries()) {
      await this.#kv.set(["paths", id, i], p);
    }
  }

  /** The stored path summaries of a test, in target order; null when none. */
  async getPaths(id: string): Promise<PathSummary[] | null> {
    const out: PathSummary[] = [];
    for await (const e of this.#list<PathSummary>({ prefix: ["paths", id] })) {
      out.push(e.value);
    }
    return out.length ? out : null;
  }

  /** Buffers an event of a test; written by the next flush. */
  appendEvent(id: string, event: StoredEvent): void {
    let list = this.#pending.get(id);
    if (!list) this.#pending.set(id, list = []);
    list.push(event);
  }

  /** Writes every buffered event now. */
  flush(): Promise<void> {
    this.#flushing = this.#flushing.then(() => this.#flushNow()).catch(
      (e) => {
        if (!this.#closed) console.error("store: flush failed:", e);
      },
    );
    return this.#flushing;
  }

  async #flushNow(): Promise<void> {
    if (this.#closed) return;
    const batches = [...this.#pending];
    this.#writing = new Map(batches);
    this.#pending.clear();
    try {
      let failed: Error | null = null;
      for (const [id, records] of batches) {
        try {
          await this.#write(id, records);
        } catch (e) {
          failed = e as Error;
          this.#keepForRetry(id, records);
          for (const l of this.#writeErrorListeners) l(id, failed);
        }
      }
      if (failed && failed.message !== this.#writeError) {
        console.error(JSON.stringify({
          msg: "store: write failed, events kept for retry",
          error: failed.message,
        }));
      }
      if (batches.length) this.#writeError = failed && failed.message;
    } finally {
      this.#writing = new Map();
    }
  }

  /**
   * A failed batch goes back in front of the pending events, and the chunk is
   * reloaded from KV on the next try, so nothing is lost or written twice.
   */
  #keepForRetry(id: string, records: StoredEvent[]): void {
    this.#chunks.delete(id);
    this.#pending.set(id, [...records, ...this.#pending.get(id) ?? []]);
  }

  async #write(id: string, records: StoredEvent[]): Promise<void> {
    let chunk = this.#chunks.get(id);
    if (!chunk) {
      chunk = await this.#lastChunk(id) ??
        { first: 0, records: [], bytes: 2, lastId: 0 };
      this.#chunks.set(id, chunk);
    }
    const dirty = new Set<OpenChunk>([chunk]);
    for (const r of records) {
      // Already stored by a write that failed half-way (an earlier chunk).
      if (r.id <= chunk.lastId) continue;
      const text = JSON.stringify(r);
      if (
        chunk.records.length > 0 &&
        chunk.bytes + text.length + 1 > CHUNK_BYTES
      ) {
        chunk = { first: r.id, records: [], bytes: 2, lastId: 0 };
        this.#chunks.set(id, chunk);
        dirty.add(chunk);
      }
      if (chunk.records.length === 0) chunk.first = r.id;
      chunk.records.push(text);
      chunk.bytes += text.length + 1;
      chunk.lastId = r.id;
    }
    for (const c of dirty) {
      if (c.records.length === 0) continue;
      await this.#kv.set(eventKey(id, c.first), `[${c.records.join(",")}]`);
    }
  }

  async #lastChunk(id: string): Promise<OpenChunk | null> {
    for await (
      const e of this.#list<string>({ prefix: ["ev", id] }, {
        reverse: true,
        limit: 1,
      })
    ) {
      const events = JSON.parse(e.value) as StoredEvent[];
      const records = events.map((r) => JSON.stringify(r));
      return {
        first: e.key[2] as number,
        records,
        bytes: e.value.length,
        lastId: events.at(-1)?.id ?? 0,
      };
    }
    return null;
  }

  /** The last stored event of a test (one KV read), or null when none is stored. */
  async lastEvent(id: string): Promise<StoredEvent | null> {
    const text = (await this.#lastChunk(id))?.records.at(-1);
    return text === undefined ? null : JSON.parse(text);
  }

  /**
   * Events of a test with an id above `after`, in id order: the stored ones,
   * then those still buffered (not yet flushed). Reads everything after
   * `after`: prefer `eventChunks` for anything that may be long.
   */
  async events(id: string, after = 0): Promise<StoredEvent[]> {
    const out: StoredEvent[] = [];
    for await (const chunk of this.eventChunks(id, after)) {
      for (const ev of chunk) if (ev.id > after) out.push(ev);
    }
    return out;
  }

  /**
   * The events with an id above `after`, one stored chunk at a time, read as
   * a range from the chunk holding `after + 1` (KV reads proportional to what
   * the caller consumes: stop iterating and nothing more is read). The first
   * chunk may start at or below `after` (callers skip by id); the events of a
   * chunk are fresh objects, shareable between readers.
   */
  async *eventChunks(id: string, after = 0): AsyncGenerator<StoredEvent[]> {
    // Buffered events first: a flush finishing while KV is listed moves them
    // into KV, so every event is in one or the other (overlaps skipped by id).
    const buffered = [
      ...this.#writing.get(id) ?? [],
      ...this.#pending.get(id) ?? [],
    ];
    let last = after;
    // The chunk holding after + 1 is the last one starting at or below it.
    let start: Deno.KvKey = ["ev", id];
    for await (
      const e of this.#list<string>({
        prefix: ["ev", id],
        end: eventKey(id, after + 2),
      }, { reverse: true, limit: 1 })
    ) start = e.key;
    for await (
      const e of this.#list<string>(
        start.length === 2 ? { prefix: start } : {
          prefix: ["ev", id],
          start,
        },
        { batchSize: 4 },
      )
    ) {
      const chunk = JSON.parse(e.value) as StoredEvent[];
      const lastId = chunk.at(-1)?.id ?? 0;
      if (lastId <= last) continue;
      last = lastId;
      yield chunk;
    }
    const tail: StoredEvent[] = [];
    for (const ev of buffered) {
      if (ev.id > last) {
        tail.push(ev);
        last = ev.id;
      }
    }
    if (tail.length) yield tail;
  }

  /**
   * The one stored chunk holding event `after + 1` (it may start earlier;
   * callers skip by id), else the next stored chunk (a hole), else the
   * buffered events after `after`: at most two small KV reads.
   */
  async chunkAfter(id: string, after: number): Promise<StoredEvent[]> {
    return JSON.parse(await this.chunkTextAfter(id, after));
  }

  /**
   * The same chunk as stored: a JSON array of `{"id":N,"type":T,"data":D}`
   * records exactly as JSON.stringify wrote them (replays turn it into SSE
   * frames without parsing every event).
   */
  async chunkTextAfter(id: string, after: number): Promise<string> {
    const buffered = [
      ...this.#writing.get(id) ?? [],
      ...this.#pending.get(id) ?? [],
    ];
    for await (
      const e of this.#list<string>({
        prefix: ["ev", id],
        end: eventKey(id, after + 2),
      }, { reverse: true, limit: 1 })
    ) {
      if (lastRecordId(e.value) > after) return e.value;
    }
    for await (
      const e of this.#list<string>({
        prefix: ["ev", id],
        start: eventKey(id, after + 2),
      }, { limit: 1 })
    ) return e.value;
    return JSON.stringify(buffered.filter((ev) => ev.id > after));
  }

  /** Probe records of a test (each with its `timestamp`), in the order they were reported. */
  async probes(id: string): Promise<ProbeEventData[]> {
    const out: ProbeEventData[] = [];
    for (const e of await this.events(id)) {
      if (e.type === "probe") out.push(e.data);
    }
    return out;
  }

  /** The per-second `interval` reports of a test, in order. */
  async series(id: string): Promise<TargetReport[]> {
    const out: TargetReport[] = [];
    for (const e of await this.events(id)) {
      if (e.type === "interval") out.push(e.data);
    }
    return out;
  }

  /** The test, its index entries, its summary, its path summaries and its events. */
  async deleteTest(id: string): Promise<void> {
    this.#pending.delete(id);
    this.#chunks.delete(id);
    await this.#flushing;
    for (;;) {
      const prev = await this.#kv.get<TestMeta>(["tests", id]);
      const op = this.#kv.atomic().check(prev).delete(["tests", id])
        .delete(["summaries", id]);
      for (const k of prev.value ? indexKeys(prev.value) : []) op.delete(k);
      if ((await op.commit()).ok) break;
    }
    for (const prefix of [["ev", id], ["paths", id]]) {
      for await (const e of this.#kv.list({ prefix })) {
        await this.#kv.delete(e.key);
      }
    }
  }

  /**
   * Deletes finished tests that ended before `cutoffMs` (epoch ms); returns
   * their ids. Reads the time index from the oldest test up to the cutoff only
   * (a test created after it cannot have ended before it).
   */
  async pruneFinishedBefore(cutoffMs: number): Promise<string[]> {
    const gone: string[] = [];
    const ids: string[] = [];
    for await (
      const e of this.#list<string>({
        prefix: ["tests_by_time"],
        end: ["tests_by_time", new Date(cutoffMs).toISOString()],
      })
    ) ids.push(e.value);
    for (let i = 0; i < ids.length; i += 100) {
      for (const meta of await this.getTests(ids.slice(i, i + 100))) {
        if (meta.status === "running") continue;
        const ended = Date.parse(meta.finished_at ?? meta.created_at);
        if (ended < cutoffMs) {
          await this.deleteTest(meta.id);
          gone.push(meta.id);
        }
      }
    }
    return gone;
  }

  /** Flushes, stops the timer and closes KV. */
  async close(): Promise<void> {
    if (this.#closed) return;
    clearInterval(this.#timer);
    await this.flush();
    this.#closed = true;
    this.#kv.close();
  }
}
