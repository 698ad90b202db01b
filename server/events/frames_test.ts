// Replay chunks framed straight from their stored text give the same bytes
// as framing each parsed event, whatever the strings in them hold.
import assert from "node:assert/strict";
import { framedChunk, framedChunkFromText, sseFrame } from "./frames.ts";
import { parseRunEvent, type RunEvent } from "../../model/events.ts";
import { storedEvents } from "../../testing/stored_history.ts";

const concat = (events: RunEvent[]) =>
  new TextDecoder().decode(
    new Uint8Array(events.flatMap((e) => [...sseFrame(e)])),
  );

Deno.test("framedChunkFromText equals framing the parsed events; data decodes back", () => {
  const events: RunEvent[] = [...storedEvents("t1", 50, 10)].flat();
  // The fixture is what the schema says a stored event is.
  for (const ev of events) assert.deepEqual(parseRunEvent(ev), ev);
  assert.throws(() => parseRunEvent({ id: 1, type: "probe", data: {} }));
  assert.throws(() => parseRunEvent({ id: 0, type: "end", data: {} }));
  const tricky = structuredClone(events[3]);
  if (tricky.type === "probe") {
    tricky.data.error = 'x"},{"id":9,"type":"end","data":{}} é ✓ 😀\n';
    tricky.data.target = "ünïcode";
  }
  events[3] = tricky;
  const text = JSON.stringify(events);
  const fast = framedChunkFromText(text);
  const slow = framedChunk(JSON.parse(text));
  const plain = events.map((e) => ({ ...e }));
  assert.equal(concat(fast), concat(plain));
  assert.equal(concat(slow), concat(plain));
  assert.deepEqual(
    fast.map((e) => [e.id, e.type]),
    events.map((e) => [e.id, e.type]),
  );
  assert.deepEqual(fast[3].data, events[3].data);
  // Adjacent views of one buffer.
  const [a, b] = [sseFrame(fast[0]), sseFrame(fast[1])];
  assert.equal(a.buffer, b.buffer);
  assert.equal(a.byteOffset + a.length, b.byteOffset);
  assert.deepEqual(framedChunkFromText("[]"), []);
});
