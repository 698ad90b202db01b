// What the alerts need from a store: each rule's state, the alert events
// (the history, listed newest first with a cursor), the webhooks still to
// send and every delivery attempt. Two implementations: KvAlertStore (the
// embedded Deno KV file, the default) and PgAlertStore (PostgreSQL, shared by
// replicas); one test suite runs on both (alert_store_suite.ts).
import type {
  AlertEvent,
  DeliveryRecord,
  NotifyTarget,
} from "../../model/monitor.ts";
import { MalformedRequestError } from "../errors.ts";
import type { RuleState } from "./alert_evaluator.ts";

/** 9 base-36 ms, 4 base-36 sequence, 8 hex random: sorts by time. */
export const ALERT_EVENT_ID = /^[0-9a-z]{13}[0-9a-f]{8}$/;

/** A notification not yet delivered (nor given up). */
export interface Pending {
  event: AlertEvent;
  notify: NotifyTarget;
  /** The server's display name, for the text. */
  server_name: string;
  /** The monitor's page. */
  link: string;
  /** Attempts made so far. */
  attempts: number;
  /** When the next attempt is due, ms. */
  due: number;
  /** When it was queued, ms (the max age counts from here). */
  queued: number;
}

export interface AlertQuery {
  monitor?: string;
  state?: "ok" | "firing";
  limit: number;
  cursor?: string;
}

export interface AlertPage {
  alerts: AlertEvent[];
  /** Where the next page starts; null when there is none. */
  next_cursor: string | null;
}

export interface AlertStore {
  /** A new event id for time `ms`; sorts in creation order. */
  newId(ms: number): string;
  /** Every rule's stored state; only the monitor's with `monitor`. */
  states(
    monitor?: string,
  ): Promise<{ monitor: string; rule: string; state: RuleState }[]>;
  putState(monitor: string, rule: string, s: RuleState): Promise<void>;
  deleteState(monitor: string, rule: string): Promise<void>;
  /** The rule's state, the event and its notifications, all or nothing. */
  putEvent(
    monitor: string,
    rule: string,
    s: RuleState,
    ev: AlertEvent,
    pending: Pending[],
  ): Promise<void>;
  event(id: string): Promise<AlertEvent | null>;
  /**
   * A page of events, newest first, filtered by monitor and state; a page
   * may hold fewer than `limit` with a next cursor (a bounded scan). A cursor
   * not made by this API is a MalformedRequestError.
   */
  list(q: AlertQuery): Promise<AlertPage>;
  /** Every notification still to send. */
  pending(): Promise<Pending[]>;
  /**
   * Records an attempt; with `next` the notification stays pending with it,
   * without it the notification is done (delivered or given up).
   */
  recordAttempt(rec: DeliveryRecord, next: Pending | null): Promise<void>;
  /** Every attempt for an event, by target then attempt. */
  deliveries(eventId: string): Promise<DeliveryRecord[]>;
  /**
   * Replicas sharing the store (PostgreSQL) each send only the pending
   * notifications they claim; without these (KV) one process sends them all.
   * A store's claims hold for a while unless renewed (claimPending renews
   * them): a replica that dies leaves claims that expire.
   */
  claims?: PendingClaims;
}

/** Claims on pending notifications, for one replica (notifier.ts). */
export interface PendingClaims {
  /**
   * Claims every pending notification that is unclaimed, whose claim
   * expired, or already ours (renewed), and returns them.
   */
  claimPending(): Promise<Pending[]>;
  /**
   * Renews our claim on one notification before an attempt: its stored
   * state, and whether an earlier event of its lane (target, monitor, rule)
   * is still pending (it must go first); null when it is no longer ours
   * (done, or taken over after our claim expired).
   */
  holdClaim(
    eventId: string,
    notify: string,
  ): Promise<{ pending: Pending; blocked: boolean } | null>;
  /** Gives up our claims (shutdown): another replica takes them at once. */
  releaseClaims(): Promise<void>;
}

/** Throws the API's error for a cursor this API did not make. */
export function checkCursor(cursor: string | undefined): void {
  if (cursor !== undefined && !ALERT_EVENT_ID.test(cursor)) {
    throw new MalformedRequestError(
      "cursor: not a cursor returned by this API",
      "cursor",
    );
  }
}

/** Makes event ids: time-sortable, unique within a process (a sequence) and across (random). */
export class AlertIdClock {
  #lastMs = -1;
  #seq = 0;

  next(ms: number): string {
    if (ms <= this.#lastMs) this.#seq++;
    else {
      this.#lastMs = ms;
      this.#seq = 0;
    }
    const r = crypto.getRandomValues(new Uint8Array(4));
    return this.#lastMs.toString(36).padStart(9, "0") +
      this.#seq.toString(36).padStart(4, "0") +
      [...r].map((b) => b.toString(16).padStart(2, "0")).join("");
  }
}
