// What the service needs from a store of tests and their event logs. Two
// implementations: KvStore (the embedded Deno KV file, the default) and
// PgRunStore (PostgreSQL, shared by replicas); one test suite runs on both
// (testing/run_store_suite.ts).
import type { ProbeEventData, RunEvent } from "../../model/events.ts";
import type { TargetReport, TestMeta } from "../../model/run.ts";
import type { PathSummary } from "../../model/path.ts";
import type { TestListQuery } from "./kv_layout.ts";

export type { TestListQuery };

/** A stored event: exactly what the live stream sent (`id`, `type`, `data`). */
export type StoredEvent = RunEvent;

/** Told when a test's buffered events could not be written (disk full, database down). */
export type WriteErrorListener = (testId: string, error: Error) => void;

/** Reads a listing or replay made (for tests asserting bounded reads). */
export interface ReadCounts {
  /** Entries (rows) returned by range reads. */
  listed: number;
  /** Records asked for by key. */
  got: number;
}

export interface RunStore {
  /** Which implementation: "kv" or "postgres" (health and logs). */
  readonly kind: "kv" | "postgres";
  readonly reads: ReadCounts;
  /** Why the last flush could not write, until one succeeds; null when writes work. */
  readonly writeError: string | null;
  onWriteError(listener: WriteErrorListener): void;

  /** Writes (creates or replaces) a test record and its listing indexes. */
  saveTest(meta: TestMeta): Promise<void>;
  getTest(id: string): Promise<TestMeta | null>;
  /** Test records by id (missing ones left out), in the given order. */
  getTests(ids: string[]): Promise<TestMeta[]>;
  /** One page of tests, newest first (created_at, then id, descending). */
  listTests(q?: TestListQuery): Promise<{ tests: TestMeta[]; more: boolean }>;
  saveSummary(id: string, summary: TargetReport[]): Promise<void>;
  getSummary(id: string): Promise<TargetReport[] | null>;
  savePaths(id: string, paths: PathSummary[]): Promise<void>;
  getPaths(id: string): Promise<PathSummary[] | null>;

  /** Buffers an event of a test; written by the next flush (ids increase per test). */
  appendEvent(id: string, event: StoredEvent): void;
  /** Writes every buffered event; resolves once they are stored. */
  flush(): Promise<void>;
  lastEvent(id: string): Promise<StoredEvent | null>;
  /** Every event after `after` (small logs; prefer eventChunks). */
  events(id: string, after?: number): Promise<StoredEvent[]>;
  /** Events after `after`, a bounded chunk at a time (a chunk may start at or below `after`: callers skip by id). */
  eventChunks(id: string, after?: number): AsyncGenerator<StoredEvent[]>;
  /** One bounded chunk holding events after `after` (may start earlier), else []. */
  chunkAfter(id: string, after: number): Promise<StoredEvent[]>;
  /** The same as JSON text of `{"id":N,"type":T,"data":D}` records. */
  chunkTextAfter(id: string, after: number): Promise<string>;
  probes(id: string): Promise<ProbeEventData[]>;
  series(id: string): Promise<TargetReport[]>;

  deleteTest(id: string): Promise<void>;
  /** Deletes finished tests that ended before `cutoffMs`; returns their ids. */
  pruneFinishedBefore(cutoffMs: number): Promise<string[]>;
  /** Tests left `running` by a process that is gone become `interrupted` (their logs get status + end). */
  markInterrupted(): Promise<number>;
  close(): Promise<void>;
}
