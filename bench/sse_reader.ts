// A minimal SSE client for the benchmarks: reads a stream to its end and
// hands over the events of each network chunk together (they arrived at once).

export interface SseEvent {
  id: number;
  event: string;
  data: string;
}

/**
 * Reads `url` as text/event-stream until the server ends it. `onConnected`
 * runs when the response headers are in; `onChunk` gets the complete events
 * of every chunk read.
 */
export async function readSse(
  url: string,
  onChunk: (events: SseEvent[]) => void,
  onConnected?: () => void,
): Promise<void> {
  const res = await fetch(url);
  if (res.status !== 200 || !res.body) {
    throw new Error(`GET ${url}: ${res.status}`);
  }
  onConnected?.();
  let buffer = "";
  const decoder = new TextDecoderStream();
  for await (const text of res.body.pipeThrough(decoder)) {
    buffer += text;
    const blocks = buffer.split("\n\n");
    buffer = blocks.pop()!;
    const events: SseEvent[] = [];
    for (const block of blocks) {
      let id = NaN, event = "message", data = "";
      for (const line of block.split("\n")) {
        if (line.startsWith("id: ")) id = Number(line.slice(4));
        else if (line.startsWith("event: ")) event = line.slice(7);
        else if (line.startsWith("data: ")) data += line.slice(6);
      }
      if (!Number.isNaN(id)) events.push({ id, event, data });
    }
    if (events.length) onChunk(events);
  }
}
