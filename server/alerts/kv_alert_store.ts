// The alerts in Deno KV (AlertStore on the KV file):
//   ["alert_state", monitor, rule]           -> RuleState (alert_evaluator.ts)
//   ["alert_event", id]                      -> AlertEvent, id time-sortable
//   ["alert_event_by_monitor", monitor, id]  -> AlertEvent (the ?monitor= list)
//   ["alert_delivery", event id, notify, attempt] -> DeliveryRecord
//   ["alert_pending", event id, notify]      -> Pending (a webhook still to send)
// Ids sort by time (alert_store.ts AlertIdClock), so a reverse list is newest
// first.
import type { AlertEvent, DeliveryRecord } from "../../model/monitor.ts";
import type { RuleState } from "./alert_evaluator.ts";
import {
  AlertIdClock,
  type AlertPage,
  type AlertQuery,
  type AlertStore,
  checkCursor,
  type Pending,
} from "./alert_store.ts";

/** Entries looked at per page at most when a state filter skips most. */
const SCAN_LIMIT = 5_000;

export class KvAlertStore implements AlertStore {
  readonly #ids = new AlertIdClock();

  constructor(readonly kv: Deno.Kv) {}

  newId(ms: number): string {
    return this.#ids.next(ms);
  }

  async states(monitor?: string): Promise<
    { monitor: string; rule: string; state: RuleState }[]
  > {
    const out = [];
    const prefix = monitor === undefined
      ? ["alert_state"]
      : ["alert_state", monitor];
    for await (const e of this.kv.list<RuleState>({ prefix })) {
      out.push({
        monitor: e.key[1] as string,
        rule: e.key[2] as string,
        state: e.value,
      });
    }
    return out;
  }

  async putState(monitor: string, rule: string, s: RuleState): Promise<void> {
    await this.kv.set(["alert_state", monitor, rule], s);
  }

  async deleteState(monitor: string, rule: string): Promise<void> {
    await this.kv.delete(["alert_state", monitor, rule]);
  }

  /** The state, the event and its notifications, in one atomic write. */
  async putEvent(
    monitor: string,
    rule: string,
    s: RuleState,
    ev: AlertEvent,
    pending: Pending[],
  ): Promise<void> {
    const op = this.kv.atomic()
      .set(["alert_state", monitor, rule], s)
      .set(["alert_event", ev.id], ev)
      .set(["alert_event_by_monitor", ev.monitor, ev.id], ev);
    for (const p of pending) {
      op.set(["alert_pending", ev.id, p.notify.id], p);
    }
    const res = await op.commit();
    if (!res.ok) throw new Error("alerts: KV commit failed");
  }

  async event(id: string): Promise<AlertEvent | null> {
    return (await this.kv.get<AlertEvent>(["alert_event", id])).value;
  }

  /** Newest first; the cursor is the id of the last event looked at. */
  async list(q: AlertQuery): Promise<AlertPage> {
    checkCursor(q.cursor);
    const prefix = q.monitor === undefined
      ? ["alert_event"]
      : ["alert_event_by_monitor", q.monitor];
    const sel: Deno.KvListSelector = q.cursor
      ? { prefix, end: [...prefix, q.cursor] }
      : { prefix };
    const alerts: AlertEvent[] = [];
    let last: string | undefined;
    let scanned = 0;
    let more = false;
    for await (
      const e of this.kv.list<AlertEvent>(sel, {
        reverse: true,
        batchSize: 200,
      })
    ) {
      if (alerts.length === q.limit || scanned === SCAN_LIMIT) {
        more = true;
        break;
      }
      scanned++;
      last = e.key[e.key.length - 1] as string;
      if (q.state === undefined || e.value.state === q.state) {
        alerts.push(e.value);
      }
    }
    return { alerts, next_cursor: more && last ? last : null };
  }

  async pending(): Promise<Pending[]> {
    const out: Pending[] = [];
    for await (
      const e of this.kv.list<Pending>({ prefix: ["alert_pending"] })
    ) {
      out.push(e.value);
    }
    return out;
  }

  /**
   * Records an attempt; with `next` the notification stays pending with it,
   * without it the notification is done (delivered or given up).
   */
  async recordAttempt(
    rec: DeliveryRecord,
    next: Pending | null,
  ): Promise<void> {
    const pk = ["alert_pending", rec.alert_event, rec.notify];
    const op = this.kv.atomic().set(
      ["alert_delivery", rec.alert_event, rec.notify, rec.attempt],
      rec,
    );
    if (next) op.set(pk, next);
    else op.delete(pk);
    const res = await op.commit();
    if (!res.ok) throw new Error("alerts: KV commit failed");
  }

  /** Every attempt for an event, by target then attempt. */
  async deliveries(eventId: string): Promise<DeliveryRecord[]> {
    const out: DeliveryRecord[] = [];
    const iter = this.kv.list<DeliveryRecord>({
      prefix: ["alert_delivery", eventId],
    });
    for await (const e of iter) out.push(e.value);
    return out;
  }
}
