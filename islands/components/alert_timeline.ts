// Pure: an alert history (firing and resolved events) as intervals on a time
// axis, for the bars under the smoke chart. No DOM: unit-tested.
import type { AlertEvent } from "../../model/monitor.ts";

export interface AlertInterval {
  alert: string;
  /** When it fired, ms. */
  from: number;
  /** When it resolved, ms; null while it is still firing. */
  to: number | null;
  metric: AlertEvent["metric"];
  threshold: number;
  /** The value that fired it. */
  value: number | null;
}

/**
 * Pairs each firing with the next resolved of the same alert, in time order.
 * A resolved without a firing seen (it fired before the history shown) starts
 * at its `since` (when the alert fired).
 */
export function alertIntervals(events: readonly AlertEvent[]): AlertInterval[] {
  const sorted = [...events].sort((a, b) =>
    Date.parse(a.at) - Date.parse(b.at)
  );
  const open = new Map<string, AlertInterval>();
  const out: AlertInterval[] = [];
  for (const e of sorted) {
    if (e.state === "firing") {
      if (open.has(e.alert)) continue; // fired twice: the first one counts
      const iv: AlertInterval = {
        alert: e.alert,
        from: Date.parse(e.at),
        to: null,
        metric: e.metric,
        threshold: e.threshold,
        value: e.value,
      };
      open.set(e.alert, iv);
      out.push(iv);
    } else {
      const iv = open.get(e.alert);
      if (iv) {
        iv.to = Date.parse(e.at);
        open.delete(e.alert);
      } else {
        out.push({
          alert: e.alert,
          from: Date.parse(e.since),
          to: Date.parse(e.at),
          metric: e.metric,
          threshold: e.threshold,
          value: null,
        });
      }
    }
  }
  return out.sort((a, b) => a.from - b.from);
}

/** The alert names in first-seen order: one row of bars each. */
export const alertNames = (ivs: readonly AlertInterval[]): string[] => [
  ...new Set(ivs.map((i) => i.alert)),
];

/** An interval clipped to [from, to] as fractions 0..1 of the view; null when outside. */
export function clipToView(
  iv: AlertInterval,
  from: number,
  to: number,
  now: number,
): { left: number; width: number } | null {
  const end = iv.to ?? now;
  if (end < from || iv.from > to || to <= from) return null;
  const a = Math.max(iv.from, from);
  const b = Math.min(end, to);
  return {
    left: (a - from) / (to - from),
    width: Math.max(0, b - a) / (to - from),
  };
}
