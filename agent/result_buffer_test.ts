import assert from "node:assert/strict";
import { BufferFullError, ResultBuffer } from "./result_buffer.ts";
import type { ProbeRecord } from "../model/probe.ts";

const rec = (index: number) => ({ index } as unknown as ProbeRecord);

Deno.test("result buffer: numbers from 1, keeps until acknowledged, resends from the ack", () => {
  const b = new ResultBuffer(10, 10);
  for (let i = 0; i < 4; i++) b.push(rec(i));
  assert.deepEqual(b.next(3).map((n) => n.seq), [1, 2, 3]);
  b.ack(2);
  assert.deepEqual(b.next(10).map((n) => n.seq), [3, 4]);
  b.ack(1); // an old ack changes nothing
  assert.equal(b.unacked, 2);
});

Deno.test("result buffer: full past its bound, never dropping silently", () => {
  const b = new ResultBuffer(3, 3);
  for (let i = 0; i < 3; i++) b.push(rec(i));
  assert.throws(() => b.push(rec(3)), BufferFullError);
  b.ack(3);
  b.push(rec(3));
  assert.deepEqual(b.next(5).map((n) => n.seq), [4]);
});

Deno.test("result buffer: past memory, spilled to a file and read back in order", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const b = new ResultBuffer(100, 2, dir, "k");
    for (let i = 0; i < 7; i++) b.push(rec(i));
    const seen: number[] = [];
    for (let guard = 0; guard < 20 && b.unacked > 0; guard++) {
      const batch = b.next(100);
      seen.push(...batch.map((n) => n.seq));
      b.ack(batch.at(-1)!.seq);
    }
    assert.deepEqual(seen, [1, 2, 3, 4, 5, 6, 7]);
    assert.deepEqual(
      [...Deno.readDirSync(dir)].map((e) => e.name),
      [],
      "spill file removed once read back",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
