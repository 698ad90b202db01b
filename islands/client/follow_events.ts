// Follows a test's SSE stream into a LiveStore. EventSource reconnects by
// itself with Last-Event-ID; when it gives up (CLOSED) we reopen with the
// last id in the query, so a dropped connection leaves no gap.
import { batch } from "@preact/signals";
import type { LiveStore } from "./live_store.ts";

import type { RunEventBody } from "../../model/events.ts";
import { RUN_EVENT_TYPES } from "../../model/event_types.ts";

/** What a stream is followed into: a test's LiveStore, or a device test's store. */
export type Followable = Pick<LiveStore, "lastId" | "connected" | "apply"> & {
  meta: { id: string };
};

/** Starts following; returns a function that stops. */
export function followEvents(store: Followable): () => void {
  let source: EventSource | null = null;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let failures = 0;
  let done = false;
  const stop = () => {
    done = true;
    clearTimeout(retry);
    source?.close();
  };
  const onEvent = (ev: Event) => {
    const msg = ev as MessageEvent<string>;
    const id = Number(msg.lastEventId);
    if (id && id <= store.lastId) return; // replayed twice
    failures = 0;
    batch(() => {
      store.connected.value = true;
      // The server's own stream: typed by the event name, not re-validated
      // (the page would rather show what came than check 86,400 probes).
      store.apply(
        { type: msg.type, data: JSON.parse(msg.data) } as RunEventBody,
      );
    });
    if (id) store.lastId = id;
    if (msg.type === "end") stop();
  };
  const open = () => {
    const query = store.lastId ? `?last_event_id=${store.lastId}` : "";
    const es = new EventSource(
      `/api/tests/${encodeURIComponent(store.meta.id)}/events${query}`,
    );
    source = es;
    for (const t of RUN_EVENT_TYPES) es.addEventListener(t, onEvent);
    es.onerror = () => {
      if (done) return;
      store.connected.value = false;
      if (es.readyState === EventSource.CLOSED) {
        es.close();
        // 1 s, 2 s, 4 s ... at most 15 s while the server stays away.
        retry = setTimeout(open, Math.min(15_000, 1000 * 2 ** failures++));
      }
    };
  };
  open();
  return stop;
}
