// The event stream: replayed then live events in order, pushed once caught
// up; a client that falls past its buffer gets what was queued, then the end.
import assert from "node:assert/strict";
import { TestHub } from "../events/hub.ts";
import { sseResponse } from "./sse_response.ts";
import type { HubEventType } from "../events/hub.ts";

const pub = (h: TestHub, type: HubEventType, data: unknown) =>
  h.publish(type, data as never);

/** Reads the rest of the stream; the ids of its events. */
async function ids(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  text = "",
): Promise<number[]> {
  const dec = new TextDecoder();
  for (let r = await reader.read(); !r.done; r = await reader.read()) {
    text += dec.decode(r.value, { stream: true });
  }
  return [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
}

Deno.test("live events are pushed in order after the replay, until end", async () => {
  const hub = new TestHub();
  for (let i = 0; i < 3; i++) pub(hub, "probe", { i });
  let closed = 0;
  const res = sseResponse(hub.subscribe(), {
    probes: true,
    heartbeatMs: 60_000,
    onClose: () => closed++,
  });
  const reader = res.body!.getReader();
  const first = new TextDecoder().decode((await reader.read()).value);
  assert.match(first, /^id: 1\n/);
  // Caught up: what follows is pushed.
  await new Promise((r) => setTimeout(r, 10));
  for (let i = 3; i < 10; i++) pub(hub, "probe", { i });
  pub(hub, "end", {});
  assert.deepEqual(await ids(reader, first), [
    1,
    2,
    3,
    4,
    5,
    6,
    7,
    8,
    9,
    10,
    11,
  ]);
  assert.equal(closed, 1);
  assert.equal(hub.subscribers, 0);
});

Deno.test("a client past its buffer gets what was queued, then the stream ends (no gap)", async () => {
  const hub = new TestHub();
  pub(hub, "status", {});
  const sub = hub.subscribe({ maxBuffer: 5 });
  const res = sseResponse(sub, { probes: true, heartbeatMs: 60_000 });
  const reader = res.body!.getReader();
  await reader.read();
  await new Promise((r) => setTimeout(r, 10));
  for (let i = 0; i < 20; i++) pub(hub, "probe", { i });
  assert.equal(sub.dropped, true);
  assert.equal(hub.subscribers, 0);
  const got = await ids(reader);
  assert.ok(got.length >= 5 && got.length < 20, `${got.length} events`);
  assert.deepEqual(got, got.map((_, i) => i + 2));
});
