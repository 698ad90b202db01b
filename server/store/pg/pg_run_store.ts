// Tests and their event logs in PostgreSQL (schema: migrations/001_runs.ts),
// shared by every replica on the database. Events are one row each, their
// body the JSON text the live stream sent; appended events are buffered and
// written shortly after the first of them arrives (group commit: what arrives
// while a write is in flight goes in the next one; the wait grows with the
// load, MAX_DELAY_MS), so other replicas' readers get them within a few ms,
// by one multi-row insert for all tests, which
// notifies `pla_events` with `<testId>:<lastEventId>` per test in the same
// statement (so a replica woken by it finds the rows). A failed write keeps
// the events for the next flush (inserts skip ids already stored). Records
// are read as text and parsed here, whatever the pool's json parsing.
import type { ProbeEventData } from "../../../model/events.ts";
import type { TargetReport, TestMeta } from "../../../model/run.ts";
import type { PathSummary } from "../../../model/path.ts";
import type {
  ReadCounts,
  RunStore,
  StoredEvent,
  TestListQuery,
  WriteErrorListener,
} from "../run_store.ts";
import type postgres from "postgres";
import type { Sql } from "./pg_client.ts";
import {
  EVENTS_CHANNEL,
  markInterruptedDead,
  markInterruptedOwnedBy,
} from "./pg_interrupt.ts";
import { listTestsPg } from "./pg_test_list.ts";

export { EVENTS_CHANNEL, markInterruptedOwnedBy };

/** Rows one range read of events returns at most. */
export const EVENT_ROWS = 1000;

export interface PgRunStoreOptions {
  /** This replica's id: the owner of the tests it runs. */
  owner: string;
  /** How long after the first buffered event a write starts, at least; default 2 ms (Infinity: only flush() and the timer write). */
  flushDelayMs?: number;
  /** How often a write is retried while the database fails; default 1000 ms. */
  flushEveryMs?: number;
}

const FOREIGN_KEY_VIOLATION = "23503";

/**
 * The longest wait before a write. The wait is the base delay plus a fifth
 * of a millisecond per event of the last write: at a few hundred events a
 * second writes follow the first event by about the base delay (readers on
 * other replicas get them within a few ms); from about 5,000 a second the
 * wait grows to this cap, and the batches with it (CPU per event near KV's).
 */
const MAX_DELAY_MS = 25;

/**
 * Writes a test's record, status columns and per-target listing rows in one
 * statement (`owner`: the replica running it, null once it ended).
 */
export async function upsertTest(
  sql: Sql | postgres.TransactionSql,
  meta: TestMeta,
  owner: string | null,
): Promise<void> {
  const targets = [...new Set(meta.targets.map((t) => t.id))];
  await sql`
      with t as (
        insert into pla_tests
          (id, created_at, status, created_by, finished_at, owner, meta)
        values (${meta.id}, ${meta.created_at}, ${meta.status},
          ${meta.created_by ?? null}, ${meta.finished_at ?? null},
          ${owner}, ${JSON.stringify(meta)}::text::json)
        on conflict (id) do update set created_at = excluded.created_at,
          status = excluded.status, created_by = excluded.created_by,
          finished_at = excluded.finished_at, owner = excluded.owner,
          meta = excluded.meta
        returning id
      ), gone as (
        delete from pla_test_targets where test_id = ${meta.id}
          and not (target = any(${targets}::text[]))
      )
      insert into pla_test_targets (test_id, target, created_at, status)
        select (select id from t), u, ${meta.created_at}, ${meta.status}
        from unnest(${targets}::text[]) u
      on conflict (test_id, target) do update
        set created_at = excluded.created_at, status = excluded.status`;
}

export class PgRunStore implements RunStore {
  readonly kind = "postgres";
  readonly reads: ReadCounts = { listed: 0, got: 0 };
  readonly owner: string;
  readonly #sql: Sql;
  readonly #pending = new Map<string, StoredEvent[]>();
  /** Batches taken from #pending by the flush in progress, until written. */
  #writing = new Map<string, StoredEvent[]>();
  /** Tests this store saved as running (never interrupted by its own sweep). */
  readonly #running = new Set<string>();
  readonly #timer: ReturnType<typeof setInterval>;
  #flushing: Promise<void> = Promise.resolve();
  readonly #delayMs: number;
  /** Events in the last write: a busy store waits longer and writes bigger batches. */
  #lastBatch = 0;
  #scheduled = false;
  #closed = false;
  readonly #writeErrorListeners: WriteErrorListener[] = [];
  #writeError: string | null = null;

  private constructor(sql: Sql, options: PgRunStoreOptions) {
    this.#sql = sql;
    this.owner = options.owner;
    this.#delayMs = options.flushDelayMs ?? 2;
    this.#timer = setInterval(
      () => void this.flush(),
      options.flushEveryMs ?? 1000,
    );
  }

  /** A store on `sql` (migrated: openPg); tests left running by a gone replica (or this id before a restart) become interrupted. */
  static async open(
    sql: Sql,
    options: PgRunStoreOptions,
  ): Promise<PgRunStore> {
    const store = new PgRunStore(sql, options);
    try {
      await store.markInterrupted();
    } catch (e) {
      clearInterval(store.#timer);
      throw e;
    }
    return store;
  }

  get writeError(): string | null {
    return this.#writeError;
  }

  onWriteError(listener: WriteErrorListener): void {
    this.#writeErrorListeners.push(listener);
  }

  /** The record, its status columns and its per-target listing rows, in one statement. */
  async saveTest(meta: TestMeta): Promise<void> {
    const running = meta.status === "running";
    if (running) this.#running.add(meta.id);
    else this.#running.delete(meta.id);
    await upsertTest(this.#sql, meta, running ? this.owner : null);
  }

  async getTest(id: string): Promise<TestMeta | null> {
    this.reads.got++;
    const [row] = await this.#sql<{ meta: string }[]>`
      select meta::text from pla_tests where id = ${id}`;
    return row ? JSON.parse(row.meta) : null;
  }

  async getTests(ids: string[]): Promise<TestMeta[]> {
    if (!ids.length) return [];
    this.reads.got += ids.length;
    const rows = await this.#sql<{ id: string; meta: string }[]>`
      select id, meta::text from pla_tests where id = any(${ids}::text[])`;
    const byId = new Map(rows.map((r) => [r.id, JSON.parse(r.meta)]));
    return ids.map((id) => byId.get(id)).filter((m): m is TestMeta => !!m);
  }

  async listTests(
    q: TestListQuery = { limit: Number.MAX_SAFE_INTEGER },
  ): Promise<{ tests: TestMeta[]; more: boolean }> {
    const { tests, more, rows } = await listTestsPg(this.#sql, q);
    this.reads.listed += rows;
    return { tests, more };
  }

  /** Kept on the test's row: a summary of a test not stored is dropped. */
  async saveSummary(id: string, summary: TargetReport[]): Promise<void> {
    await this.#sql`update pla_tests
      set summary = ${JSON.stringify(summary)}::text::json where id = ${id}`;
  }

  async getSummary(id: string): Promise<TargetReport[] | null> {
    this.reads.got++;
    const [row] = await this.#sql<{ summary: string | null }[]>`
      select summary::text from pla_tests where id = ${id}`;
    return row?.summary ? JSON.parse(row.summary) : null;
  }

  async savePaths(id: string, paths: PathSummary[]): Promise<void> {
    await this.#sql`update pla_tests
      set paths = ${JSON.stringify(paths)}::text::json where id = ${id}`;
  }

  async getPaths(id: string): Promise<PathSummary[] | null> {
    this.reads.got++;
    const [row] = await this.#sql<{ paths: string | null }[]>`
      select paths::text from pla_tests where id = ${id}`;
    const paths: PathSummary[] | null = row?.paths
      ? JSON.parse(row.paths)
      : null;
    return paths?.length ? paths : null;
  }

  appendEvent(id: string, event: StoredEvent): void {
    let list = this.#pending.get(id);
    if (!list) this.#pending.set(id, list = []);
    list.push(event);
    if (!this.#scheduled && !this.#closed && Number.isFinite(this.#delayMs)) {
      this.#scheduled = true;
      setTimeout(() => {
        this.#scheduled = false;
        void this.flush();
      }, Math.min(MAX_DELAY_MS, this.#delayMs + this.#lastBatch / 5));
    }
  }

  flush(): Promise<void> {
    this.#flushing = this.#flushing.then(() => this.#flushNow()).catch(
      (e) => {
        if (!this.#closed) console.error("store: flush failed:", e);
      },
    );
    return this.#flushing;
  }

  async #flushNow(): Promise<void> {
    if (this.#closed || !this.#pending.size) return;
    const batches = [...this.#pending];
    this.#lastBatch = batches.reduce((n, [, evs]) => n + evs.length, 0);
    this.#writing = new Map(batches);
    this.#pending.clear();
    try {
      let failed: Error | null = null;
      try {
        await this.#write(batches);
      } catch (e) {
        // A test deleted meanwhile fails the whole insert: then test by test.
        const each = (e as { code?: string }).code === FOREIGN_KEY_VIOLATION
          ? batches.map((b) => [b])
          : [batches];
        for (const part of each) {
          try {
            if (each.length > 1) await this.#write(part);
            else throw e;
          } catch (e) {
            if ((e as { code?: string }).code === FOREIGN_KEY_VIOLATION) {
              console.error(JSON.stringify({
                msg: "store: events of a test not stored dropped",
                test: part[0][0],
              }));
              continue;
            }
            failed = e as Error;
            for (const [id, records] of part) {
              this.#keepForRetry(id, records);
              for (const l of this.#writeErrorListeners) l(id, failed);
            }
          }
        }
      }
      if (failed && failed.message !== this.#writeError) {
        console.error(JSON.stringify({
          msg: "store: write failed, events kept for retry",
          error: failed.message,
        }));
      }
      this.#writeError = failed && failed.message;
    } finally {
      this.#writing = new Map();
    }
  }

  #keepForRetry(id: string, records: StoredEvent[]): void {
    this.#pending.set(id, [...records, ...this.#pending.get(id) ?? []]);
  }

  /**
   * One statement: every row, then one notification per test (sent at
   * commit). The events go as one JSON array text built from their JSON
   * texts (not escaped again as array elements would be), zipped with their
   * test ids; an element of a `json` value is its text as written.
   */
  async #write(batches: [string, StoredEvent[]][]): Promise<void> {
    const tests: string[] = [], bodies: string[] = [], notes: string[] = [];
    for (const [test, records] of batches) {
      if (!records.length) continue;
      for (const r of records) {
        tests.push(test);
        bodies.push(JSON.stringify(r));
      }
      notes.push(`${test}:${records.at(-1)!.id}`);
    }
    await this.#sql`
      with ins as (
        insert into pla_events (test_id, id, type, body)
        select x.t, (x.e->>'id')::int, x.e->>'type', x.e::text
        from rows from (
          json_array_elements(${`[${bodies.join(",")}]`}::text::json),
          unnest(${tests}::text[])
        ) as x(e, t)
        on conflict do nothing
      )
      select pg_notify(${EVENTS_CHANNEL}, n) from unnest(${notes}::text[]) n`;
  }

  #buffered(id: string): StoredEvent[] {
    return [...this.#writing.get(id) ?? [], ...this.#pending.get(id) ?? []];
  }

  /** Up to EVENT_ROWS stored event bodies after `after`, in id order. */
  async #bodiesAfter(id: string, after: number): Promise<string[]> {
    const rows = await this.#sql<{ body: string }[]>`
      select body from pla_events where test_id = ${id} and id > ${after}
      order by id limit ${EVENT_ROWS}`;
    this.reads.listed += rows.length;
    return rows.map((r) => r.body);
  }

  async lastEvent(id: string): Promise<StoredEvent | null> {
    const [row] = await this.#sql<{ body: string }[]>`
      select body from pla_events where test_id = ${id}
      order by id desc limit 1`;
    this.reads.listed += row ? 1 : 0;
    return row ? JSON.parse(row.body) : null;
  }

  async events(id: string, after = 0): Promise<StoredEvent[]> {
    const out: StoredEvent[] = [];
    for await (const chunk of this.eventChunks(id, after)) {
      for (const ev of chunk) if (ev.id > after) out.push(ev);
    }
    return out;
  }

  /**
   * Stored events after `after` a range read at a time, then the buffered
   * ones after the last stored (taken before reading: a flush meanwhile
   * moves them to the table, so each is in one or the other).
   */
  async *eventChunks(id: string, after = 0): AsyncGenerator<StoredEvent[]> {
    const buffered = this.#buffered(id);
    let last = after;
    for (;;) {
      const bodies = await this.#bodiesAfter(id, last);
      if (!bodies.length) break;
      const chunk = JSON.parse(`[${bodies.join(",")}]`) as StoredEvent[];
      last = chunk.at(-1)!.id;
      yield chunk;
      if (bodies.length < EVENT_ROWS) break;
    }
    const tail = buffered.filter((ev) => ev.id > last);
    if (tail.length) yield tail;
  }

  async chunkAfter(id: string, after: number): Promise<StoredEvent[]> {
    return JSON.parse(await this.chunkTextAfter(id, after));
  }

  /** Stored bodies after `after` joined into a JSON array (no parsing), else the buffered ones. */
  async chunkTextAfter(id: string, after: number): Promise<string> {
    const buffered = this.#buffered(id);
    const bodies = await this.#bodiesAfter(id, after);
    if (bodies.length) return `[${bodies.join(",")}]`;
    return JSON.stringify(buffered.filter((ev) => ev.id > after));
  }

  async probes(id: string): Promise<ProbeEventData[]> {
    const out: ProbeEventData[] = [];
    for await (const chunk of this.eventChunks(id)) {
      for (const e of chunk) if (e.type === "probe") out.push(e.data);
    }
    return out;
  }

  async series(id: string): Promise<TargetReport[]> {
    const out: TargetReport[] = [];
    for await (const chunk of this.eventChunks(id)) {
      for (const e of chunk) if (e.type === "interval") out.push(e.data);
    }
    return out;
  }

  /** The test row; its listing rows and events go with it (on delete cascade). */
  async deleteTest(id: string): Promise<void> {
    this.#pending.delete(id);
    this.#running.delete(id);
    await this.#flushing;
    await this.#sql`delete from pla_tests where id = ${id}`;
  }

  /** Finished tests ended before the cutoff, a thousand per statement. */
  async pruneFinishedBefore(cutoffMs: number): Promise<string[]> {
    const cutoff = new Date(cutoffMs).toISOString();
    const gone: string[] = [];
    for (;;) {
      const rows = await this.#sql<{ id: string }[]>`
        delete from pla_tests where id in (
          select id from pla_tests
          where created_at < ${cutoff} and status <> 'running'
            and coalesce(finished_at, created_at) < ${cutoff}
          limit 1000
        ) returning id`;
      for (const r of rows) {
        gone.push(r.id);
        this.#pending.delete(r.id);
      }
      if (rows.length < 1000) return gone;
    }
  }

  /** The start-up sweep: see markInterruptedDead (tests this store runs are left alone). */
  async markInterrupted(): Promise<number> {
    return (await markInterruptedDead(this.#sql, this.owner, [
      ...this.#running,
    ])).length;
  }

  /** Interrupts the running tests of these (dead) replicas; returns their ids. */
  markInterruptedOwnedBy(owners: string[]): Promise<string[]> {
    return markInterruptedOwnedBy(this.#sql, owners);
  }

  /** Flushes and stops the timer; the pool is the caller's to end. */
  async close(): Promise<void> {
    if (this.#closed) return;
    clearInterval(this.#timer);
    await this.flush();
    this.#closed = true;
  }
}
