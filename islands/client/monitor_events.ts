// Follows the monitors' SSE stream (GET /api/monitors/events): new points
// and alert changes. EventSource reconnects by itself with Last-Event-ID;
// when it gives up (CLOSED) we reopen with the last id in the query.
import type { AlertEvent, MonitorPointEvent } from "../../model/monitor.ts";
import { MONITOR_EVENT_TYPES } from "../../model/monitor_event_types.ts";

export interface MonitorEventHandlers {
  point?: (ev: MonitorPointEvent) => void;
  alert?: (ev: AlertEvent) => void;
  /** Connected or not (for a "live" indicator). */
  connected?: (on: boolean) => void;
}

/** Starts following; returns a function that stops. */
export function followMonitorEvents(h: MonitorEventHandlers): () => void {
  let source: EventSource | null = null;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let failures = 0;
  let lastId = "";
  let done = false;
  const onEvent = (ev: Event) => {
    const msg = ev as MessageEvent<string>;
    if (msg.lastEventId) lastId = msg.lastEventId;
    failures = 0;
    h.connected?.(true);
    let data: unknown;
    try {
      data = JSON.parse(msg.data);
    } catch {
      return;
    }
    // The server's own stream: typed by the event name, not re-validated.
    if (msg.type === "point") h.point?.(data as MonitorPointEvent);
    else if (msg.type === "alert") h.alert?.(data as AlertEvent);
  };
  const open = () => {
    const q = lastId ? `?last_event_id=${encodeURIComponent(lastId)}` : "";
    const es = new EventSource(`/api/monitors/events${q}`);
    source = es;
    for (const t of MONITOR_EVENT_TYPES) es.addEventListener(t, onEvent);
    es.onopen = () => h.connected?.(true);
    es.onerror = () => {
      if (done) return;
      h.connected?.(false);
      if (es.readyState === EventSource.CLOSED) {
        es.close();
        retry = setTimeout(open, Math.min(15_000, 1000 * 2 ** failures++));
      }
    };
  };
  open();
  return () => {
    done = true;
    clearTimeout(retry);
    source?.close();
  };
}
