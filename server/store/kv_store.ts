// Deno KV persistence: test metadata and status, summaries, and the test's
// event log (probe records, per-second interval reports, status, summary, end),
// each with the event id the live stream used, in chunks kept below KV's
// 64 KiB value limit, flushed at least every second.
import type { ProbeRecord } from "../../model/probe.ts";
import type { HubEvent } from "../events/hub.ts";
import type { TargetReport, TestMeta } from "../../model/run.ts";

/** A stored event: exactly what the live stream sent (`id`, `type`, `data`). */
export type StoredEvent = HubEvent;

/** Serialized bytes per event chunk; well under the 64 KiB value limit. */
export const CHUNK_BYTES = 48 * 1024;

interface OpenChunk {
  no: number;
  records: string[];
  bytes: number;
  /** Id of the last event in the chunk (0 when empty). */
  lastId: number;
}

export interface StoreOptions {
  /** How often buffered events are written; default 1000 ms. */
  flushEveryMs?: number;
}

/** Told when a test's buffered events could not be written (disk full, read-only file). */
export type WriteErrorListener = (testId: string, error: Error) => void;

export class KvStore {
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

  /** Opens the KV file (":memory:" for none) and marks tests left running as interrupted. */
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
    await store.markInterrupted();
    return store;
  }

  /** Tests stored as `running` belong to a previous process: they become `interrupted`. */
  async markInterrupted(): Promise<number> {
    let n = 0;
    for await (const e of this.#kv.list<TestMeta>({ prefix: ["tests"] })) {
      if (e.value.status !== "running") continue;
      await this.#kv.set(e.key, {
        ...e.value,
        status: "interrupted",
        finished_at: e.value.finished_at ?? new Date().toISOString(),
      });
      await this.#closeLog(e.value.id, "interrupted");
      n++;
    }
    return n;
  }

  /** Ends a stored event log cut short: `status` and `end` after its last event, so replays end. */
  async #closeLog(id: string, status: string): Promise<void> {
    const last = await this.#lastChunk(id);
    const lastEvent = last?.records.length
      ? JSON.parse(last.records.at(-1)!) as StoredEvent
      : null;
    if (lastEvent?.type === "end") return;
    const next = (lastEvent?.id ?? 0) + 1;
    const tail: StoredEvent[] = [
      { id: next, type: "status", data: { id, status } },
      { id: next + 1, type: "end", data: { id, status } },
    ];
    await this.#kv.set(
      ["events", id, (last?.no ?? -1) + 1],
      JSON.stringify(tail),
    );
  }

  async saveTest(meta: TestMeta): Promise<void> {
    await this.#kv.set(["tests", meta.id], meta);
  }

  async getTest(id: string): Promise<TestMeta | null> {
    return (await this.#kv.get<TestMeta>(["tests", id])).value;
  }

  /** Every stored test, newest first. */
  async listTests(): Promise<TestMeta[]> {
    const out: TestMeta[] = [];
    for await (const e of this.#kv.list<TestMeta>({ prefix: ["tests"] })) {
      out.push(e.value);
    }
    return out.sort((a, b) =>
      b.created_at.localeCompare(a.created_at) || b.id.localeCompare(a.id)
    );
  }

  async saveSummary(id: string, summary: TargetReport[]): Promise<void> {
    await this.#kv.set(["summaries", id], summary);
  }

  async getSummary(id: string): Promise<TargetReport[] | null> {
    return (await this.#kv.get<TargetReport[]>(["summaries", id])).value;
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
      const last = await this.#lastChunk(id);
      chunk = last ?? { no: 0, records: [], bytes: 2, lastId: 0 };
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
        chunk = { no: chunk.no + 1, records: [], bytes: 2, lastId: 0 };
        this.#chunks.set(id, chunk);
        dirty.add(chunk);
      }
      chunk.records.push(text);
      chunk.bytes += text.length + 1;
      chunk.lastId = r.id;
    }
    for (const c of dirty) {
      await this.#kv.set(["events", id, c.no], `[${c.records.join(",")}]`);
    }
  }

  async #lastChunk(id: string): Promise<OpenChunk | null> {
    for await (
      const e of this.#kv.list<string>({ prefix: ["events", id] }, {
        reverse: true,
        limit: 1,
      })
    ) {
      const events = JSON.parse(e.value) as StoredEvent[];
      const records = events.map((r) => JSON.stringify(r));
      return {
        no: e.key[2] as number,
        records,
        bytes: e.value.length,
        lastId: events.at(-1)?.id ?? 0,
      };
    }
    return null;
  }

  /**
   * Events of a test with an id above `after`, in id order: the stored ones,
   * then those still buffered (not yet flushed).
   */
  async events(id: string, after = 0): Promise<StoredEvent[]> {
    const out: StoredEvent[] = [];
    for await (const chunk of this.eventChunks(id, after)) out.push(...chunk);
    return out;
  }

  /**
   * The same events one stored chunk at a time, so a long test (86,400
   * probes) can be exported without holding all of it in memory.
   */
  async *eventChunks(id: string, after = 0): AsyncGenerator<StoredEvent[]> {
    // Buffered events first: a flush finishing while KV is listed moves them
    // into KV, so every event is in one or the other (overlaps skipped by id).
    const buffered = [
      ...this.#writing.get(id) ?? [],
      ...this.#pending.get(id) ?? [],
    ];
    let last = after;
    for await (const e of this.#kv.list<string>({ prefix: ["events", id] })) {
      const chunk = (JSON.parse(e.value) as StoredEvent[]).filter((ev) =>
        ev.id > last
      );
      if (chunk.length === 0) continue;
      last = chunk[chunk.length - 1].id;
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

  /** Probe records of a test (each with its `timestamp`), in the order they were reported. */
  async probes(id: string): Promise<ProbeRecord[]> {
    return (await this.events(id)).filter((e) => e.type === "probe").map((e) =>
      e.data as ProbeRecord
    );
  }

  /** The per-second `interval` reports of a test, in order. */
  async series(id: string): Promise<TargetReport[]> {
    return (await this.events(id)).filter((e) => e.type === "interval").map((
      e,
    ) => e.data as TargetReport);
  }

  /** The test, its summary and its events. */
  async deleteTest(id: string): Promise<void> {
    this.#pending.delete(id);
    this.#chunks.delete(id);
    await this.#flushing;
    await this.#kv.delete(["tests", id]);
    await this.#kv.delete(["summaries", id]);
    for await (const e of this.#kv.list({ prefix: ["events", id] })) {
      await this.#kv.delete(e.key);
    }
  }

  /** Deletes finished tests that ended before `cutoffMs` (epoch ms); returns their ids. */
  async pruneFinishedBefore(cutoffMs: number): Promise<string[]> {
    const gone: string[] = [];
    for (const meta of await this.listTests()) {
      if (meta.status === "running") continue;
      const ended = Date.parse(meta.finished_at ?? meta.created_at);
      if (ended < cutoffMs) {
        await this.deleteTest(meta.id);
        gone.push(meta.id);
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
