// The SSE wire frame of an event, encoded once per event for every reader.
//
// The frame cache is justified because a frame is the same bytes for every
// reader of an event: 1,000 clients cost one JSON.stringify and one buffer
// per event instead of 1,000. It is keyed weakly by the event object, so a
// frame lives exactly as long as its event is held (the hub's window, or a
// replay chunk being read), never longer.
import type { RunEvent } from "../../model/events.ts";

const encoder = new TextEncoder();
const frames = new WeakMap<RunEvent, Uint8Array>();

function frameText(id: number, type: string, dataJson: string): string {
  // JSON.stringify escapes line breaks, so the data is always one line.
  return `id: ${id}\nevent: ${type}\ndata: ${dataJson}\n\n`;
}

/** The SSE frame of an event (`id`, `event`, one `data` line), cached per event. */
export function sseFrame(ev: RunEvent): Uint8Array {
  let frame = frames.get(ev);
  if (!frame) {
    frame = encoder.encode(frameText(ev.id, ev.type, JSON.stringify(ev.data)));
    frames.set(ev, frame);
  }
  return frame;
}

/** An event of a replay chunk: its frame is a view of the chunk's bytes; `data` is decoded from it when asked. */
class FramedEvent {
  readonly id: number;
  readonly type: RunEvent["type"];
  readonly #frame: Uint8Array;
  constructor(id: number, type: RunEvent["type"], frame: Uint8Array) {
    this.id = id;
    this.type = type;
    this.#frame = frame;
  }
  get data(): unknown {
    const text = new TextDecoder().decode(this.#frame);
    return JSON.parse(text.slice(text.indexOf("\ndata: ") + 7));
  }
}

/**
 * A chunk of stored events as replay readers need it: every frame encoded
 * into one buffer (frames are views of it, consecutive ones adjacent, so a
 * batch of them is one view and no copy), and small event objects whose
 * `data` is decoded only if someone asks (the SSE path never does). The
 * parsed events are let go at once: a replayed chunk costs its frame bytes
 * (about the stored JSON's size), not a tree of objects per event.
 */
export function framedChunk(events: RunEvent[]): RunEvent[] {
  const texts = events.map((ev) =>
    frameText(ev.id, ev.type, JSON.stringify(ev.data))
  );
  return frame(events, texts);
}

/**
 * Where each record of a stored chunk starts, as JSON.stringify writes an
 * event (`{"id":N,"type":"T","data":D}`, keys in that order). No string in a
 * record can hold this (its quotes would be escaped), and no event's data has
 * a numeric `id` followed by `type`.
 */
const RECORD_START = /\{"id":(\d+),"type":"(\w+)","data":/g;

/**
 * framedChunk from a stored chunk's JSON text without parsing its events:
 * each record's data is already the JSON the frame needs. Text of any other
 * shape is parsed instead.
 */
export function framedChunkFromText(text: string): RunEvent[] {
  const starts: { at: number; dataAt: number; id: number; type: string }[] = [];
  for (const m of text.matchAll(RECORD_START)) {
    starts.push({
      at: m.index,
      dataAt: m.index + m[0].length,
      id: Number(m[1]),
      type: m[2],
    });
  }
  const wellFormed = text.startsWith("[") && text.endsWith("}]") &&
    starts.length > 0 && starts[0].at === 1 &&
    starts.every((s, i) => i === 0 || text.slice(s.at - 2, s.at) === "},");
  if (!wellFormed) return framedChunk(JSON.parse(text));
  // Encoded straight into one buffer of the exact size: no frame strings.
  const heads = starts.map((s) => `id: ${s.id}\nevent: ${s.type}\ndata: `);
  const datas = starts.map((s, i) =>
    text.slice(
      s.dataAt,
      i + 1 < starts.length ? starts[i + 1].at - 2 : text.length - 2,
    )
  );
  const lengths = datas.map((d, i) => heads[i].length + utf8Length(d) + 2);
  const bytes = new Uint8Array(lengths.reduce((a, b) => a + b, 0));
  const out: RunEvent[] = [];
  let at = 0;
  for (let i = 0; i < starts.length; i++) {
    const view = bytes.subarray(at, at + lengths[i]);
    let w = encoder.encodeInto(heads[i], view).written;
    w += encoder.encodeInto(datas[i], view.subarray(w)).written;
    view[w] = 10;
    view[w + 1] = 10;
    at += lengths[i];
    out.push(framed(starts[i].id, starts[i].type, view));
  }
  return out;
}

function framed(id: number, type: string, view: Uint8Array): RunEvent {
  const ev = new FramedEvent(id, type as RunEvent["type"], view);
  // A structural stand-in: `data` is a getter of the same shape.
  const asEvent = ev as unknown as RunEvent;
  frames.set(asEvent, view);
  return asEvent;
}

function frame(
  events: { id: number; type: string }[],
  texts: string[],
): RunEvent[] {
  const bytes = encoder.encode(texts.join(""));
  const out: RunEvent[] = [];
  let at = 0;
  for (let i = 0; i < events.length; i++) {
    // Frames are ASCII apart from non-ASCII in strings: count UTF-8 bytes.
    const len = utf8Length(texts[i]);
    const view = bytes.subarray(at, at + len);
    at += len;
    out.push(framed(events[i].id, events[i].type, view));
  }
  return out;
}

function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 2;
      i++;
    } else n += 2;
  }
  return n;
}

/**
 * The frames as one buffer: a view when they are adjacent views of one
 * buffer (a replay chunk), else a copy.
 */
export function joinFrames(parts: Uint8Array[], size: number): Uint8Array {
  const first = parts[0];
  let adjacent = true;
  for (let i = 1; i < parts.length && adjacent; i++) {
    const prev = parts[i - 1];
    adjacent = parts[i].buffer === first.buffer &&
      parts[i].byteOffset === prev.byteOffset + prev.length;
  }
  if (adjacent) {
    return new Uint8Array(first.buffer, first.byteOffset, size);
  }
  const joined = new Uint8Array(size);
  let at = 0;
  for (const f of parts) {
    joined.set(f, at);
    at += f.length;
  }
  return joined;
}
