// The webhook queue: POSTs each alert event to its rule's targets, in the
// background. Every attempt is recorded (alert_store.ts); a notification stays
// pending in KV until delivered or given up, and is resumed on start.
//
// Schedule: attempt 1 at once; after a failure (network error, timeout, or a
// status outside 2xx) the next waits 1 s, 2 s, 4 s, 8 s … doubling, at most
// 5 min; given up after 10 attempts or when the next one would start more than
// an hour after the event was queued. Each attempt has its own timeout (10 s).
// Events of the same monitor rule reach a target in order: a later one waits
// while an earlier one is still pending there.
//
// Replicas sharing a store (store.claims, PostgreSQL): each sends only what it
// claims. It claims what it queues, renews its claims and takes over
// unclaimed or expired ones every `pollMs` (a replica that died leaves claims
// that expire), and checks its claim before each attempt.
import type { AlertEvent, DeliveryRecord } from "../../model/monitor.ts";
import type { AlertStore, Pending } from "./alert_store.ts";

export interface RetryPolicy {
  /** First back-off, ms (1 s). */
  baseMs: number;
  /** Back-off cap, ms (5 min). */
  maxDelayMs: number;
  /** Attempts at most (10). */
  maxAttempts: number;
  /** No attempt starts later than this after queueing, ms (1 h). */
  maxAgeMs: number;
  /** Per-attempt timeout, ms (10 s). */
  timeoutMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  baseMs: 1000,
  maxDelayMs: 300_000,
  maxAttempts: 10,
  maxAgeMs: 3_600_000,
  timeoutMs: 10_000,
};

/** The wait before attempt `n + 1` after `n` failed attempts. */
export const backoffMs = (p: RetryPolicy, n: number) =>
  Math.min(p.maxDelayMs, p.baseMs * 2 ** (n - 1));

/** The body a webhook gets (text: Slack/Mattermost incoming-webhook field). */
export function webhookBody(ev: AlertEvent, serverName: string, url: string) {
  return {
    monitor: ev.monitor,
    server: ev.server,
    address: ev.address,
    alert: ev.alert,
    state: ev.state === "firing" ? "firing" : "resolved",
    value: ev.value,
    threshold: ev.threshold,
    since: ev.since,
    url,
    text: alertText(ev, serverName, url),
  };
}

const METRIC_TEXT = {
  loss_pct: { name: "loss", unit: "%" },
  median_rtt_ms: { name: "median RTT", unit: " ms" },
  jitter_ms: { name: "jitter", unit: " ms" },
  cert_days_left: { name: "certificate days left", unit: " days" },
} as const;

const num = (v: number) => String(Math.round(v * 100) / 100);

/** One line, e.g. `[FIRING] gw-watch/loss: loss 40% > 5% on Gateway (192.0.2.1) since 2026-…Z <url>`. */
export function alertText(ev: AlertEvent, serverName: string, url: string) {
  const m = METRIC_TEXT[ev.metric];
  const value = ev.value === null ? "no data" : `${num(ev.value)}${m.unit}`;
  // cert_days_left fires below its threshold, the others above.
  const below = ev.metric === "cert_days_left";
  const cmp = ev.state === "firing"
    ? (below ? "<" : ">")
    : (below ? ">=" : "<=");
  const where = ev.address ? `${serverName} (${ev.address})` : serverName;
  const head = ev.state === "firing" ? "[FIRING]" : "[RESOLVED]";
  const since = ev.state === "firing" ? "since" : "firing since";
  return `${head} ${ev.monitor}/${ev.alert}: ${m.name} ${value} ${cmp} ${
    num(ev.threshold)
  }${m.unit} on ${where}, ${since} ${ev.since} ${url}`;
}

export interface NotifierOptions {
  store: AlertStore;
  retry?: Partial<RetryPolicy>;
  /** With store.claims: how often claims are renewed and taken over, ms (5 s). */
  pollMs?: number;
  /** Clock, for tests; default Date.now. */
  now?: () => number;
}

const keyOf = (p: Pending) => `${p.event.id}/${p.notify.id}`;
const laneOf = (p: Pending) =>
  `${p.notify.id}\u0000${p.event.monitor}\u0000${p.event.alert}`;

export class Notifier {
  readonly retry: RetryPolicy;
  readonly #store: AlertStore;
  readonly #now: () => number;
  readonly #pollMs: number;
  #poller: ReturnType<typeof setTimeout> | undefined;
  /** The claim in progress (close waits for it before releasing). */
  #claiming: Promise<void> = Promise.resolve();
  /** Pending notifications by event id / target id. */
  readonly #pending = new Map<string, Pending>();
  /** Lanes (target, monitor, rule) with an attempt in flight. */
  readonly #busy = new Set<string>();
  readonly #inflight = new Set<Promise<void>>();
  readonly #closing = new AbortController();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(o: NotifierOptions) {
    this.#store = o.store;
    this.retry = { ...DEFAULT_RETRY, ...o.retry };
    this.#now = o.now ?? Date.now;
    this.#pollMs = o.pollMs ?? 5000;
  }

  /**
   * Loads what was pending when the service stopped (with claims: what this
   * replica may claim, then again every pollMs), and starts sending.
   */
  async start(): Promise<void> {
    if (!this.#store.claims) {
      for (const p of await this.#store.pending()) {
        this.#pending.set(keyOf(p), p);
      }
    } else {
      await this.#claim();
      this.#poll();
    }
    this.#schedule();
  }

  /** Adds what we claim and do not know yet (what we know is newer here). */
  async #claim(): Promise<void> {
    const ps = await this.#store.claims!.claimPending();
    if (this.#closed) return;
    for (const p of ps) {
      if (!this.#pending.has(keyOf(p))) this.#pending.set(keyOf(p), p);
    }
    this.#schedule();
  }

  #poll(): void {
    if (this.#closed) return;
    this.#poller = setTimeout(() => {
      this.#claiming = this.#claim().catch((e) =>
        console.error("alerts: claiming pending webhooks failed:", e)
      ).finally(() => this.#poll());
    }, this.#pollMs);
  }

  /** Queues notifications already stored as pending (alert_store.putEvent). */
  enqueue(ps: Pending[]): void {
    if (this.#closed) return;
    for (const p of ps) this.#pending.set(keyOf(p), p);
    this.#schedule();
  }

  get pendingCount(): number {
    return this.#pending.size;
  }

  /** The head of each lane (oldest event first), not in flight. */
  #heads(): Pending[] {
    const heads = new Map<string, Pending>();
    for (const p of this.#pending.values()) {
      const lane = laneOf(p);
      const h = heads.get(lane);
      if (!h || p.event.id < h.event.id) heads.set(lane, p);
    }
    return [...heads].filter(([lane]) => !this.#busy.has(lane)).map(([, p]) =>
      p
    );
  }

  #schedule(): void {
    if (this.#closed) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const heads = this.#heads();
    if (!heads.length) return;
    const due = Math.min(...heads.map((p) => p.due));
    this.#timer = setTimeout(
      () => this.#run(),
      Math.max(0, due - this.#now()),
    );
  }

  #run(): void {
    this.#timer = undefined;
    if (this.#closed) return;
    const now = this.#now();
    for (const p of this.#heads()) {
      if (p.due > now) continue;
      const lane = laneOf(p);
      this.#busy.add(lane);
      const task = this.#send(p).catch((e) => {
        // Storage failed: try again later rather than at once.
        console.error("alerts: webhook bookkeeping failed:", e);
        const cur = this.#pending.get(keyOf(p));
        if (cur) cur.due = this.#now() + this.retry.baseMs;
      }).finally(() => {
        this.#busy.delete(lane);
        this.#inflight.delete(task);
        this.#schedule();
      });
      this.#inflight.add(task);
    }
    this.#schedule();
  }

  /** An attempt, or giving up; with claims only while the claim is ours. */
  async #send(p: Pending): Promise<void> {
    const claims = this.#store.claims;
    if (claims) {
      const held = await claims.holdClaim(p.event.id, p.notify.id);
      if (!held) {
        // Done or taken over elsewhere.
        this.#pending.delete(keyOf(p));
        return;
      }
      p = held.pending;
      if (held.blocked) {
        // An earlier event of its lane is pending on another replica.
        p.due = this.#now() + this.#pollMs;
      }
      this.#pending.set(keyOf(p), p);
      if (p.due > this.#now()) return;
    }
    const stale = this.#now() - p.queued > this.retry.maxAgeMs;
    await (stale ? this.#giveUp(p) : this.#attempt(p));
  }

  async #attempt(p: Pending): Promise<void> {
    const attempt = p.attempts + 1;
    const at = this.#now();
    let status: number | null = null;
    let error: string | null = null;
    try {
      const res = await fetch(p.notify.url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(webhookBody(p.event, p.server_name, p.link)),
        redirect: "manual",
        signal: AbortSignal.any([
          AbortSignal.timeout(this.retry.timeoutMs),
          this.#closing.signal,
        ]),
      });
      status = res.status;
      await res.body?.cancel();
      if (status < 200 || status > 299) error = `HTTP ${status}`;
    } catch (e) {
      if (this.#closed) return; // shutting down: stays pending, resumed on start
      const err = e as Error;
      error = err.name === "TimeoutError"
        ? `timed out after ${this.retry.timeoutMs} ms`
        : err.message || String(e);
    }
    const ok = error === null;
    const rec: DeliveryRecord = {
      alert_event: p.event.id,
      notify: p.notify.id,
      attempt,
      at: new Date(at).toISOString(),
      ok,
      status,
      error,
    };
    const nextDue = this.#now() + backoffMs(this.retry, attempt);
    const again = !ok && attempt < this.retry.maxAttempts &&
      nextDue - p.queued <= this.retry.maxAgeMs;
    const next: Pending | null = again
      ? { ...p, attempts: attempt, due: nextDue }
      : null;
    if (!ok && !again) {
      console.error(
        `alerts: webhook ${p.notify.id} gave up on event ${p.event.id} after ${attempt} attempts: ${error}`,
      );
    }
    await this.#store.recordAttempt(rec, next);
    if (next) this.#pending.set(keyOf(p), next);
    else this.#pending.delete(keyOf(p));
  }

  /** Too old to send (the service was down longer than the max age): recorded, dropped. */
  async #giveUp(p: Pending): Promise<void> {
    const error = `given up unsent: queued more than ${
      Math.round(this.retry.maxAgeMs / 1000)
    } s ago`;
    console.error(
      `alerts: webhook ${p.notify.id}, event ${p.event.id}: ${error}`,
    );
    await this.#store.recordAttempt({
      alert_event: p.event.id,
      notify: p.notify.id,
      attempt: p.attempts + 1,
      at: new Date(this.#now()).toISOString(),
      ok: false,
      status: null,
      error,
    }, null);
    this.#pending.delete(keyOf(p));
  }

  /**
   * Stops the timers and aborts attempts in flight (they stay pending); with
   * claims, releases ours so another replica sends them at once.
   */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    clearTimeout(this.#poller);
    this.#closing.abort();
    await Promise.allSettled([...this.#inflight, this.#claiming]);
    try {
      await this.#store.claims?.releaseClaims();
    } catch (e) {
      console.error("alerts: releasing webhook claims failed:", e);
    }
  }
}
