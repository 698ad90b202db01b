// The replay caches of finished tests share one chunk budget: however many
// tests are replayed, no more than its `max` chunks stay in memory, the least
// recently used (over every test) going first.
import assert from "node:assert/strict";
import { ChunkBudget, ReplayCache } from "./replay.ts";

/** A stored chunk's JSON text: events 10k+1 .. 10k+10 of test `id`. */
function chunkText(id: string, k: number): string {
  const events = Array.from({ length: 10 }, (_, i) => ({
    id: 10 * k + i + 1,
    type: "status",
    data: { id, status: "running" },
  }));
  return JSON.stringify(events);
}

function cacheOf(id: string, budget: ChunkBudget, reads: string[]) {
  return new ReplayCache((after) => {
    reads.push(`${id}:${after}`);
    return Promise.resolve(chunkText(id, Math.floor(after / 10)));
  }, budget);
}

Deno.test("replays of several tests keep at most the shared budget of chunks, least recently used out first", async () => {
  const budget = new ChunkBudget(3);
  const reads: string[] = [];
  const a = cacheOf("a", budget, reads);
  const b = cacheOf("b", budget, reads);
  assert.equal((await a.chunk(0))[0].id, 1);
  assert.equal((await a.chunk(10))[0].id, 11);
  assert.equal((await b.chunk(0))[0].id, 1);
  assert.equal(budget.size, 3);
  // a's first chunk is used again: now b's chunk and a's second are older.
  await a.chunk(5);
  assert.deepEqual(reads, ["a:0", "a:10", "b:0"]);
  // A fourth chunk drops the least recently used one (a's second chunk).
  await b.chunk(10);
  assert.equal(budget.size, 3);
  await a.chunk(0);
  await b.chunk(0);
  assert.deepEqual(reads, ["a:0", "a:10", "b:0", "b:10"], "still kept");
  await a.chunk(10);
  assert.deepEqual(reads, ["a:0", "a:10", "b:0", "b:10", "a:10"], "re-read");
  assert.equal(budget.size, 3);
});

Deno.test("concurrent readers at the same place share one store read", async () => {
  const reads: string[] = [];
  const a = cacheOf("a", new ChunkBudget(), reads);
  const [x, y] = await Promise.all([a.chunk(20), a.chunk(20)]);
  assert.equal(x, y);
  assert.deepEqual(reads, ["a:20"]);
});
