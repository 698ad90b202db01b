import assert from "node:assert/strict";
import { parseSseJson, parseSseText, readSseChunks, SseParser } from "./sse.ts";

const frame = (id: number, event: string, data: unknown) =>
  `id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

Deno.test("SSE parser: events split anywhere across feeds, comments counted", () => {
  const text = `: heartbeat\n\n${frame(1, "probe", { a: 1 })}${
    frame(2, "end", {})
  }`;
  for (let cut = 0; cut <= text.length; cut++) {
    const p = new SseParser();
    const got = [...p.feed(text.slice(0, cut)), ...p.feed(text.slice(cut))];
    assert.deepEqual(got, [
      { id: 1, event: "probe", data: '{"a":1}' },
      { id: 2, event: "end", data: "{}" },
    ]);
    assert.equal(p.comments, 1);
  }
  assert.deepEqual(parseSseText(text).comments, 1);
  assert.deepEqual(parseSseJson(text).map((e) => e.data), [{ a: 1 }, {}]);
});

Deno.test("readSseChunks hands over the events of one chunk together", async () => {
  const enc = new TextEncoder();
  const chunks = [
    frame(1, "a", 1) + frame(2, "b", 2) + "id: 3\nev",
    "ent: c\ndata: 3\n\n",
    ": heartbeat\n\n",
    frame(4, "d", 4),
  ];
  const body = ReadableStream.from(chunks.map((c) => enc.encode(c)));
  const seen: number[][] = [];
  await readSseChunks(
    body,
    (events) => void seen.push(events.map((e) => e.id)),
  );
  assert.deepEqual(seen, [[1, 2], [3], [4]]);
});
