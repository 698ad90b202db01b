// The names of the monitors' stream events, without zod (the browser listens
// for each and must not bundle the schemas): a new point, an alert change.
export const MONITOR_EVENT_TYPES = ["point", "alert"] as const;
export type MonitorEventType = typeof MONITOR_EVENT_TYPES[number];

/** The most points one series request may return (GET /api/monitors/:id/series). */
export const MAX_SERIES_POINTS = 50_000;
