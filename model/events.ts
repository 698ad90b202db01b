// The events a run reports, one typed union: what the hub publishes, the store
// keeps, the SSE stream sends and the page applies. `type` discriminates `data`.
import { z } from "zod";
import { probeRecord } from "./probe.ts";
import { targetReport, testStatus } from "./run.ts";
import { hopRecord, pathSummary, routeChange } from "./path.ts";
import type { RunEventType } from "./event_types.ts";
import { deviceEventData } from "./device.ts";

/** A probe record as published and stored: with its send time as ISO `timestamp`. */
export const probeEventData = probeRecord.extend({ timestamp: z.string() });
export type ProbeEventData = z.infer<typeof probeEventData>;

export const statusEventData = z.object({
  id: z.string(),
  status: testStatus,
  error: z.string().optional(),
});
export type StatusEventData = z.infer<typeof statusEventData>;

export const endEventData = z.object({ id: z.string(), status: testStatus });
export type EndEventData = z.infer<typeof endEventData>;

/** An event without its id: what a producer publishes. */
export const runEventBody = z.discriminatedUnion("type", [
  z.object({ type: z.literal("probe"), data: probeEventData }),
  z.object({ type: z.literal("interval"), data: targetReport }),
  z.object({ type: z.literal("status"), data: statusEventData }),
  z.object({ type: z.literal("summary"), data: targetReport }),
  z.object({ type: z.literal("end"), data: endEventData }),
  z.object({ type: z.literal("hop"), data: hopRecord }),
  z.object({ type: z.literal("route_change"), data: routeChange }),
  z.object({ type: z.literal("path"), data: pathSummary }),
  z.object({ type: z.literal("device"), data: deviceEventData }),
]);
export type RunEventBody = z.infer<typeof runEventBody>;

export { RUN_EVENT_TYPES, type RunEventType } from "./event_types.ts";
// RUN_EVENT_TYPES and the union's `type`s are the same set (a type error otherwise).
const _sameTypes: [RunEventType, RunEventBody["type"]] extends
  [RunEventBody["type"], RunEventType] ? true : never = true;

/** An event with its stream id (1, 2, 3, ... per run): the SSE `id:`. */
export type RunEvent = RunEventBody & { id: number };

/** The `data` of events of type T. */
export type RunEventData<T extends RunEventType> = Extract<
  RunEventBody,
  { type: T }
>["data"];

/** Checks a stored or received event; throws a zod error naming the field. */
export function parseRunEvent(value: unknown): RunEvent {
  const id = (value as { id?: unknown })?.id;
  if (typeof id !== "number" || !Number.isSafeInteger(id) || id < 1) {
    throw new Error(`event id: must be a positive integer, got ${id}`);
  }
  return { ...runEventBody.parse(value), id };
}
