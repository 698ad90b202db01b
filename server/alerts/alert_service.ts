// The alerts of every monitor: each stored step point goes through each rule's
// state machine (alert_evaluator.ts); a change becomes an alert event, stored
// with the rule's new state and its notifications in one write, published
// through `onEvent` and sent to the rule's webhooks (notifier.ts). observe()
// never waits for storage or the network: the writes run in the background in
// the order the points came, the webhooks in their own queue.
//
// Replicas sharing a store (PostgreSQL): each monitor runs on one replica,
// whose states are the live ones. A replica that starts running a monitor
// adopts its stored states first (adopt()); one asked about a monitor run
// elsewhere answers from the stored states, read again every few seconds
// (firing(id, false)). The webhooks are claimed per replica (notifier.ts).
import type {
  AlertEvent,
  MonitorPoint,
  MonitorSpec,
  NotifyTarget,
} from "../../model/monitor.ts";
import { evaluate, initialState, type RuleState } from "./alert_evaluator.ts";
import type {
  AlertPage,
  AlertQuery,
  AlertStore,
  Pending,
} from "./alert_store.ts";
import { Notifier, type RetryPolicy } from "./notifier.ts";

export interface AlertServiceOptions {
  /** Where states, events and deliveries are kept (KvAlertStore, PgAlertStore). */
  store: AlertStore;
  /** The configured notification targets (rules name them by id). */
  notify: NotifyTarget[];
  /** Prefix of the monitor page links (e.g. https://pla.example.net); default "" (relative). */
  publicBase?: string;
  /** Every alert event, as it happens (the monitors' SSE stream). */
  onEvent?: (ev: AlertEvent) => void;
  retry?: Partial<RetryPolicy>;
  /** Replicas: how often webhook claims are renewed and taken over, ms (5 s). */
  claimPollMs?: number;
  /** Replicas: how long the stored states answer firing(id, false), ms (3 s). */
  storedTtlMs?: number;
}

export class AlertService {
  readonly store: AlertStore;
  readonly notifier: Notifier;
  readonly #targets: Map<string, NotifyTarget>;
  readonly #base: string;
  readonly #onEvent?: (ev: AlertEvent) => void;
  /** monitor -> rule -> state. */
  readonly #states = new Map<string, Map<string, RuleState>>();
  #chain: Promise<void> = Promise.resolve();
  #closed = false;
  /** Rules by monitor as stored (monitors run elsewhere): firing or not; when read. */
  #stored = new Map<string, Map<string, boolean>>();
  #storedAt = 0;
  #storedRead: Promise<void> | null = null;
  readonly #storedTtlMs: number;

  constructor(o: AlertServiceOptions) {
    this.store = o.store;
    this.notifier = new Notifier({
      store: this.store,
      retry: o.retry,
      pollMs: o.claimPollMs,
    });
    this.#storedTtlMs = o.storedTtlMs ?? 3000;
    this.#targets = new Map(o.notify.map((t) => [t.id, t]));
    this.#base = (o.publicBase ?? "").replace(/\/+$/, "");
    this.#onEvent = o.onEvent;
  }

  /** Loads the rules' states and resumes the pending webhooks. */
  async start(): Promise<void> {
    const rows = await this.store.states();
    for (const { monitor, rule, state } of rows) {
      this.#rules(monitor).set(rule, state);
    }
    this.#keepStored(rows);
    await this.notifier.start();
  }

  /**
   * The monitor starts running here (replicas: its lease was just taken):
   * its rules' states as stored by the replica that ran it replace what this
   * one knew, so a firing alert neither fires again nor stays unresolved.
   * Await it before the monitor's first point.
   */
  async adopt(monitorId: string): Promise<void> {
    await this.flush(); // this replica's own earlier writes land first
    const rows = await this.store.states(monitorId);
    this.#states.set(monitorId, new Map(rows.map((r) => [r.rule, r.state])));
  }

  #keepStored(
    rows: { monitor: string; rule: string; state: RuleState }[],
  ): void {
    const stored = new Map<string, Map<string, boolean>>();
    for (const { monitor, rule, state } of rows) {
      let m = stored.get(monitor);
      if (!m) stored.set(monitor, m = new Map());
      m.set(rule, state.state === "firing");
    }
    this.#stored = stored;
    this.#storedAt = Date.now();
  }

  /** Reads the stored states again in the background when they are old. */
  #refreshStored(): void {
    if (this.#closed || this.#storedRead) return;
    if (Date.now() - this.#storedAt < this.#storedTtlMs) return;
    this.#storedRead = this.store.states()
      .then((rows) => this.#keepStored(rows))
      .catch((e) => console.error("alerts: reading the states failed:", e))
      .finally(() => this.#storedRead = null);
  }

  #rules(monitor: string): Map<string, RuleState> {
    let m = this.#states.get(monitor);
    if (!m) this.#states.set(monitor, m = new Map());
    return m;
  }

  /** The link to a monitor's page. */
  link(monitorId: string): string {
    return `${this.#base}/monitors/${encodeURIComponent(monitorId)}`;
  }

  #later(what: string, fn: () => Promise<void>): void {
    this.#chain = this.#chain.then(fn).catch((e) =>
      console.error(`alerts: ${what} failed:`, e)
    );
  }

  /**
   * Takes a stored step point of a monitor. Returns at once: storage and
   * webhooks run in the background. Rules no longer in the spec are dropped.
   */
  observe(
    monitor: MonitorSpec,
    server: { id: string; name: string },
    address: string | null,
    point: MonitorPoint,
  ): void {
    if (this.#closed) return;
    const rules = this.#rules(monitor.id);
    const names = new Set(monitor.alerts.map((r) => r.name));
    for (const name of [...rules.keys()]) {
      if (names.has(name)) continue;
      rules.delete(name);
      this.#later("drop state", () => this.store.deleteState(monitor.id, name));
    }
    for (const rule of monitor.alerts) {
      const prev = rules.get(rule.name) ?? initialState();
      const { state, transition, taken } = evaluate(
        rule,
        monitor.step_s,
        prev,
        point,
      );
      if (!taken) continue;
      rules.set(rule.name, state);
      if (!transition) {
        // A steady state only moves last_t: not worth a write per step (a
        // stale last_t after a restart reads as a gap, which resets a streak
        // that was 0 anyway).
        if (prev.streak === 0 && state.streak === 0 && prev.last_t !== null) {
          continue;
        }
        this.#later(
          "save state",
          () => this.store.putState(monitor.id, rule.name, state),
        );
        continue;
      }
      const now = Date.now();
      const ev: AlertEvent = {
        id: this.store.newId(now),
        monitor: monitor.id,
        server: server.id,
        address,
        alert: rule.name,
        state: transition.state,
        metric: transition.metric,
        value: transition.value,
        threshold: transition.threshold,
        since: new Date(transition.since).toISOString(),
        at: new Date(transition.at).toISOString(),
      };
      const pending: Pending[] = [];
      for (const id of rule.notify) {
        const notify = this.#targets.get(id);
        if (!notify) {
          console.error(
            `alerts: ${monitor.id}/${rule.name} names unknown notify target "${id}"`,
          );
          continue;
        }
        pending.push({
          event: ev,
          notify,
          server_name: server.name,
          link: this.link(monitor.id),
          attempts: 0,
          due: now,
          queued: now,
        });
      }
      this.#later("record event", async () => {
        await this.store.putEvent(monitor.id, rule.name, state, ev, pending);
        this.notifier.enqueue(pending);
      });
      try {
        this.#onEvent?.(ev);
      } catch (e) {
        console.error("alerts: onEvent failed:", e);
      }
    }
  }

  /**
   * Names of the monitor's rules firing now. `here` false: the monitor runs
   * on another replica, the answer is its stored states (a few seconds old
   * at most, and read again in the background when older).
   */
  firing(monitorId: string, here = true): string[] {
    if (!here) {
      this.#refreshStored();
      const rules = this.#stored.get(monitorId) ?? [];
      return [...rules].filter(([, f]) => f).map(([r]) => r).sort();
    }
    const out: string[] = [];
    for (const [name, s] of this.#states.get(monitorId) ?? []) {
      if (s.state === "firing") out.push(name);
    }
    return out.sort();
  }

  /**
   * Every known rule with whether it fires (pla_monitor_alert_firing); with
   * replicas (a store with claims) as stored, a few seconds old at most.
   */
  firingGauge(): { monitor: string; alert: string; firing: boolean }[] {
    const out = [];
    if (this.store.claims) {
      // Replicas: the stored states, the same on each (this one's own are
      // stale for the monitors run elsewhere).
      this.#refreshStored();
      for (const [monitor, rules] of this.#stored) {
        for (const [alert, firing] of rules) {
          out.push({ monitor, alert, firing });
        }
      }
    } else {
      for (const [monitor, rules] of this.#states) {
        for (const [alert, s] of rules) {
          out.push({ monitor, alert, firing: s.state === "firing" });
        }
      }
    }
    return out.sort((a, b) =>
      a.monitor.localeCompare(b.monitor) || a.alert.localeCompare(b.alert)
    );
  }

  /** A monitor is gone: its rules' states too (its events stay in the history). */
  forget(monitorId: string): void {
    const rules = this.#states.get(monitorId);
    if (!rules) return;
    this.#states.delete(monitorId);
    for (const name of rules.keys()) {
      this.#later("drop state", () => this.store.deleteState(monitorId, name));
    }
  }

  /** Resolves once everything observed so far is stored. */
  async flush(): Promise<void> {
    await this.#chain;
  }

  list(q: AlertQuery): Promise<AlertPage> {
    return this.store.list(q);
  }

  /** The delivery attempts of an event; null when there is no such event. */
  async deliveries(eventId: string) {
    const ev = await this.store.event(eventId);
    if (!ev) return null;
    return await this.store.deliveries(eventId);
  }

  /** Stores what is queued, stops the webhook timers (pending ones resume on start). */
  async close(): Promise<void> {
    this.#closed = true;
    await this.flush();
    await this.#storedRead;
    await this.notifier.close();
  }
}
