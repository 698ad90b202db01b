// The monitors' live stream: `point` (a new stored point) and `alert` (an
// alert firing or resolving) events with increasing ids, on the same hub and
// SSE machinery as the test streams. The newest RING events stay in memory
// for Last-Event-ID resumption; a client further behind gets what is left.
import { type Subscription, TestHub } from "../events/hub.ts";
import type { AlertEvent, MonitorPointEvent } from "../../model/monitor.ts";
import type { MonitorEventType } from "../../model/monitor_event_types.ts";

/** Events kept for resumption (at 1,000 monitors of 60 s steps: a minute). */
export const RING = 1000;

export class MonitorHub {
  // The test hub is typed for test events; these share its id/type/data shape.
  readonly #hub = new TestHub({
    keep: RING,
    backfill: () => Promise.resolve([]),
  });

  #publish(type: MonitorEventType, data: unknown) {
    return (this.#hub.publish as (t: string, d: unknown) => { id: number })(
      type,
      data,
    );
  }

  publishPoint(ev: MonitorPointEvent): number {
    return this.#publish("point", ev).id;
  }

  /** For the alerts part: an alert fired or resolved. */
  publishAlert(ev: AlertEvent): number {
    return this.#publish("alert", ev).id;
  }

  get lastId(): number {
    return this.#hub.lastId;
  }

  /** Events after `after` still in the ring, then live ones (older ids: from the oldest kept). */
  subscribe(after = 0): Subscription {
    return this.#hub.subscribe({
      after: Math.max(after, this.#hub.firstId - 1),
    });
  }
}
