// The one seam between the monitor pages and the monitor service: what the
// pages need to render on the server. The islands then use the JSON API
// (GET /api/monitors/:id/series, /api/monitors/events, /api/alerts).
import type { MonitorSpec, MonitorStatus } from "../model/monitor.ts";

/** One monitor as GET /api/monitors/:id answers: its status and its spec. */
export type MonitorDetail = MonitorStatus & { spec: MonitorSpec };

export interface MonitorPages {
  /** Every monitor with its state and latest point (GET /api/monitors). */
  list(): Promise<MonitorStatus[]>;
  /** One monitor, or null when there is none with that id. */
  get(id: string): Promise<MonitorDetail | null>;
}

/** Without a monitor service: no monitors. */
export const noMonitors: MonitorPages = {
  list: () => Promise.resolve([]),
  get: () => Promise.resolve(null),
};
