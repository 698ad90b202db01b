import assert from "node:assert/strict";
import type { ProbeIndex } from "./probe_index.ts";
import { SeriesCache } from "./series_cache.ts";

const index = (bytes: number): ProbeIndex => ({ targets: [], bytes });

Deno.test("series cache: least recently used out past the byte budget; one build shared", async () => {
  const cache = new SeriesCache(1000);
  await cache.get("a", () => Promise.resolve(index(400)));
  await cache.get("b", () => Promise.resolve(index(400)));
  // "a" used again: "b" is now the oldest.
  await cache.get("a", () => Promise.reject(new Error("cached: no build")));
  await cache.get("c", () => Promise.resolve(index(400)));
  assert.deepEqual(["a", "b", "c"].map((id) => cache.has(id)), [
    true,
    false,
    true,
  ]);
  assert.equal(cache.bytes, 800);
  // Bigger than the whole budget: served, never kept.
  await cache.get("huge", () => Promise.resolve(index(5000)));
  assert.equal(cache.has("huge"), false);
  assert.equal(cache.bytes, 800);
  // Requests while a build runs wait for that one build.
  let release!: () => void;
  const gate = new Promise<void>((r) => release = r);
  const builds = cache.builds;
  const both = Promise.all([
    cache.get("d", () => gate.then(() => index(100))),
    cache.get("d", () => gate.then(() => index(100))),
  ]);
  release();
  const [x, y] = await both;
  assert.equal(x, y);
  assert.equal(cache.builds, builds + 1);
  // A failed build is not cached: the next request tries again.
  await assert.rejects(cache.get("e", () => Promise.reject(new Error("db"))));
  assert.equal(cache.has("e"), false);
  cache.delete("a");
  assert.equal(cache.has("a"), false);
});
