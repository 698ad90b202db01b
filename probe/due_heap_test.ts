import assert from "node:assert/strict";
import { DueHeap, type HeapItem } from "./due_heap.ts";

const item = (due: number): HeapItem => ({ due, heapIndex: -1 });

Deno.test("DueHeap pops in due order through pushes, updates and removals", () => {
  // Seeded LCG: the same mixed sequence every run.
  let x = 12345;
  const rand = () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const heap = new DueHeap<HeapItem>();
  const live = new Set<HeapItem>();
  for (let step = 0; step < 5000; step++) {
    const r = rand();
    if (r < 0.4 || live.size === 0) {
      const it = item(rand() * 1000);
      heap.push(it);
      live.add(it);
    } else if (r < 0.7) {
      const it = [...live][Math.floor(rand() * live.size)];
      it.due = rand() * 1000;
      heap.update(it);
    } else if (r < 0.85) {
      const it = [...live][Math.floor(rand() * live.size)];
      heap.remove(it);
      live.delete(it);
      assert.equal(it.heapIndex, -1);
    } else {
      const min = Math.min(...[...live].map((i) => i.due));
      const top = heap.pop()!;
      assert.equal(top.due, min);
      live.delete(top);
    }
    assert.equal(heap.size, live.size);
  }
  let last = -Infinity;
  while (heap.size) {
    const top = heap.pop()!;
    assert.ok(top.due >= last);
    last = top.due;
  }
  assert.equal(heap.pop(), undefined);
});

Deno.test("DueHeap.update inserts an item that is not in the heap", () => {
  const heap = new DueHeap<HeapItem>();
  const a = item(5);
  heap.update(a);
  assert.equal(heap.peek(), a);
  heap.remove(a);
  heap.remove(a); // absent: no-op
  assert.equal(heap.size, 0);
});
