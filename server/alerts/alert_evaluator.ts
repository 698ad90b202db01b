// The alert state machine of one rule of one monitor: each step point goes in,
// a change (firing or resolved) may come out. Pure: no clock, no I/O; the
// state is plain data so the store can keep it across restarts.
//
// - A step is bad when the rule's metric is above the threshold, good when it
//   is at or below it.
// - A step without the metric is no data: an RTT rule's median or jitter is
//   null when nothing answered (the loss rule covers that), a loss rule's step
//   with sent = 0 has no loss figure. No data is neither good nor bad: it
//   breaks the streak being counted (like a one-step gap) and never changes
//   the state.
// - Firing after `for_steps` (K) consecutive bad steps, `since` = the start of
//   the first of them; resolved after K consecutive good steps, `since` = when
//   it fired. One bad step in a good run (or one good step in a bad run)
//   only restarts the count: it never flaps.
// - Gaps: a point is contiguous with the previous one when it starts less than
//   1.5 steps after it (scheduling jitter tolerated). A later one follows a
//   gap (no data, e.g. the service was down): the streak restarts from it, and
//   the state is kept — a firing alert stays firing across a gap until K good
//   steps after it. A point not after the previous one (a replay) is ignored.
import {
  type AlertRule,
  type MonitorPoint,
  ruleMetric,
} from "../../model/monitor.ts";

export type Metric = ReturnType<typeof ruleMetric>["metric"];

/** What is kept per (monitor, rule); stored as it is (alert_store.ts). */
export interface RuleState {
  state: "ok" | "firing";
  /** Consecutive steps counted towards a change: bad when ok, good when firing. */
  streak: number;
  /** Start of the first step of the streak, ms; null when streak = 0. */
  streak_since: number | null;
  /** When it fired (end of the step that fired it), ms; null when ok. */
  fired_at: number | null;
  /** Start of the last point taken, ms; null before the first. */
  last_t: number | null;
}

export const initialState = (): RuleState => ({
  state: "ok",
  streak: 0,
  streak_since: null,
  fired_at: null,
  last_t: null,
});

/** A change of state, as the evaluator sees it (alert_service.ts makes the event). */
export interface Transition {
  state: "ok" | "firing";
  metric: Metric;
  /** The value of the step that made the change. */
  value: number | null;
  threshold: number;
  /** Firing: start of the first bad step; resolved: when it fired. ms. */
  since: number;
  /** End of the step that made the change, ms. */
  at: number;
}

/** The rule's metric of a step; null when the step has none (see above). */
export function metricValue(metric: Metric, p: MonitorPoint): number | null {
  if (metric === "loss_pct") return p.sent === 0 ? null : p.loss_pct;
  const v = p[metric];
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

/**
 * Takes one point. Returns the new state (a fresh object; `prev` is not
 * changed), the transition if the state changed, and whether the point was
 * taken at all (false: not after the previous point).
 */
export function evaluate(
  rule: AlertRule,
  stepS: number,
  prev: RuleState,
  p: MonitorPoint,
): { state: RuleState; transition: Transition | null; taken: boolean } {
  if (prev.last_t !== null && p.t <= prev.last_t) {
    return { state: prev, transition: null, taken: false };
  }
  const { metric, threshold } = ruleMetric(rule);
  const k = rule.for_steps;
  const next: RuleState = { ...prev, last_t: p.t };
  const gap = prev.last_t !== null && p.t - prev.last_t >= 1.5 * stepS * 1000;
  if (gap) {
    next.streak = 0;
    next.streak_since = null;
  }
  const value = metricValue(metric, p);
  if (value === null) {
    next.streak = 0;
    next.streak_since = null;
    return { state: next, transition: null, taken: true };
  }
  // cert_days_left is a "below" rule; every other metric an "above" one.
  const bad = metric === "cert_days_left"
    ? value < threshold
    : value > threshold;
  // Counting bad steps while ok, good steps while firing.
  const counts = next.state === "ok" ? bad : !bad;
  if (!counts) {
    next.streak = 0;
    next.streak_since = null;
    return { state: next, transition: null, taken: true };
  }
  if (next.streak === 0) next.streak_since = p.t;
  next.streak++;
  if (next.streak < k) return { state: next, transition: null, taken: true };
  const at = p.t + p.span_s * 1000;
  const transition: Transition = next.state === "ok"
    ? {
      state: "firing",
      metric,
      value,
      threshold,
      since: next.streak_since!,
      at,
    }
    : {
      state: "ok",
      metric,
      value,
      threshold,
      since: next.fired_at ?? next.streak_since!,
      at,
    };
  next.state = transition.state;
  next.fired_at = transition.state === "firing" ? at : null;
  next.streak = 0;
  next.streak_since = null;
  return { state: next, transition, taken: true };
}
