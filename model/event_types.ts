// The names of a run's event types, without zod: the browser listens for each
// (islands/client/follow_events.ts) and must not bundle the schemas.
export const RUN_EVENT_TYPES = [
  "probe",
  "interval",
  "status",
  "summary",
  "end",
  "hop",
  "route_change",
  "path",
  "device",
] as const;
export type RunEventType = typeof RUN_EVENT_TYPES[number];
