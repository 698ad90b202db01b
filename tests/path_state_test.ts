// LiveStore in path mode: hop events become rows in hop order (each replacing
// its hop's row) and sparkline points; the verdict comes from the `path` event.
import assert from "node:assert/strict";
import { batch } from "@preact/signals";
import { pathMeta, storedPathEvents } from "../testing/stored_path.ts";
import { LiveStore } from "../islands/client/live_store.ts";
import { notForwardingHops } from "../islands/client/path_state.ts";

Deno.test("path mode: hop rows in order, sparkline per hop, live then final verdict", () => {
  const store = new LiveStore(pathMeta("p1"), null);
  assert.ok(store.paths, "a path state per target");
  const events = storedPathEvents("p1");
  const finalAt = events.findIndex((e) => e.type === "path");
  for (const ev of events.slice(0, finalAt)) batch(() => store.apply(ev));
  const [a, b] = store.paths!;
  assert.deepEqual(a.hops.value.map((h) => h.hop), [1, 2, 3, 4, 5]);
  assert.equal(a.hops.value[4].sent, 40, "the latest report replaced the row");
  assert.equal(a.seriesOf(3).x.length, 4, "one point per report");
  // Live: the first hop whose loss is forwarded; the destination answered at 5.
  assert.equal(a.lossOrigin, 3);
  assert.equal(a.destinationHop, 5);
  assert.deepEqual([...notForwardingHops(a.hops.value, 5)], [2]);
  assert.equal(a.changes.value.length, 1);
  // b: hop 3 is silent and the last: no later hop shows the path goes on.
  assert.equal(b.destinationHop, null);
  assert.deepEqual([...notForwardingHops(b.hops.value, null)], []);
  assert.deepEqual(b.seriesOf(3).rtt, [null, null, null, null]);

  for (const ev of events.slice(finalAt)) batch(() => store.apply(ev));
  assert.ok(a.summary.value && b.summary.value);
  assert.equal(a.changes.value.length, 1, "the verdict's list, not twice");
  assert.equal(store.status.value, "completed");
});

Deno.test("path mode: a later hop out of order is placed by hop; the destination trims the hops past it", () => {
  const store = new LiveStore(pathMeta("p2"), null);
  const hops = storedPathEvents("p2").filter((e) =>
    e.type === "hop" && e.data.target === "path-a"
  ).slice(0, 5);
  // Hop 6 seen before the destination answered at 5, then the rest backwards.
  const six = structuredClone(hops[3]);
  assert.equal(six.type, "hop");
  if (six.type !== "hop") return;
  six.data.hop = 6;
  six.data.hop_addresses = [];
  six.data.hop_address = null;
  store.apply(six);
  for (const ev of hops.reverse()) store.apply(ev);
  assert.deepEqual(store.paths![0].hops.value.map((h) => h.hop), [
    1,
    2,
    3,
    4,
    5,
  ]);
});

Deno.test("ping mode keeps no path state", () => {
  const meta = pathMeta("p3");
  meta.settings = { ...meta.settings, mode: "ping" };
  assert.equal(new LiveStore(meta, null).paths, null);
});
