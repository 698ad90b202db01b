// GET /api/alerts (the alert history, newest first) and
// GET /api/alerts/:id/deliveries (the webhook attempts of one event): zod
// definitions that validate the query and document the routes. Whoever may
// read tests may read these (viewer).
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { BlankEnv } from "hono/types";
import { alertEvent, deliveryRecord, monitorId } from "../../model/monitor.ts";
import { problemBody } from "../../model/problem.ts";
import { requiredRole } from "../auth/auth.ts";
import { NotFoundError } from "../errors.ts";
import type { AlertService } from "../alerts/alert_service.ts";
import { ALERT_EVENT_ID } from "../alerts/alert_store.ts";

export const DEFAULT_ALERTS_LIMIT = 50;
export const MAX_ALERTS_LIMIT = 500;

const AlertEvent = alertEvent.meta({ id: "AlertEvent" });
const DeliveryRecord = deliveryRecord.meta({ id: "DeliveryRecord" });

const json = <S extends z.ZodType>(schema: S, description: string) => ({
  description,
  content: { "application/json": { schema } },
});
const problem = (description: string) => ({
  description,
  content: { "application/problem+json": { schema: problemBody } },
});

export const alertsQuery = z.object({
  monitor: z.string().optional().refine(
    (m) => m === undefined || monitorId.safeParse(m).success,
    { error: "must be a monitor id (1-64 letters, digits, '.', '_' or '-')" },
  ).openapi({ description: "only this monitor's events" }),
  state: z.enum(["firing", "ok"], { error: 'must be "firing" or "ok"' })
    .optional().openapi({
      description: "firing, or ok (resolved) events only",
    }),
  limit: z.string({ error: "must be an integer" }).optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw === "") return DEFAULT_ALERTS_LIMIT;
      const n = Number(raw);
      if (/^\d+$/.test(raw) && n >= 1 && n <= MAX_ALERTS_LIMIT) return n;
      ctx.addIssue({
        code: "custom",
        message: `must be an integer from 1 to ${MAX_ALERTS_LIMIT}`,
        input: raw,
      });
      return z.NEVER;
    }).openapi({
      type: "integer",
      minimum: 1,
      maximum: MAX_ALERTS_LIMIT,
      default: DEFAULT_ALERTS_LIMIT,
      description: "page size",
    }),
  cursor: z.string().optional().refine(
    (c) => c === undefined || c === "" || ALERT_EVENT_ID.test(c),
    { error: "not a cursor returned by this API" },
  ).openapi({ description: "next_cursor of the previous page" }),
});

const eventParams = z.object({
  id: z.string().regex(ALERT_EVENT_ID, {
    error: (iss) =>
      `no alert event with id "${String(iss.input).slice(0, 64)}"`,
  }).openapi({ description: "alert event id" }),
});

const secured = <R extends Parameters<typeof createRoute>[0]>(r: R) =>
  createRoute({
    ...r,
    "x-required-role": requiredRole("GET", r.path.replace(/\{(\w+)\}/g, ":$1")),
    responses: {
      ...r.responses,
      401: problem("not authenticated (WWW-Authenticate: Bearer)"),
      403: problem("role too low, or a cross-site request"),
    },
  });

export const alertRoutes = {
  list: secured({
    method: "get",
    path: "/api/alerts",
    summary:
      "Alert history: every firing and resolved (state ok) event of the monitors' rules, newest first",
    request: { query: alertsQuery },
    responses: {
      200: json(
        z.object({
          alerts: z.array(AlertEvent),
          next_cursor: z.string().nullable(),
        }),
        "one page",
      ),
      400: problem("bad query parameter"),
    },
  }),
  deliveries: secured({
    method: "get",
    path: "/api/alerts/{id}/deliveries",
    summary:
      "The webhook delivery attempts of an alert event, by target then attempt",
    request: { params: eventParams },
    responses: {
      200: json(
        z.object({
          alert_event: z.string(),
          deliveries: z.array(DeliveryRecord),
        }),
        "the attempts",
      ),
      404: problem("no such alert event"),
    },
  }),
};

/** Mounts the routes; without a service the history is empty. */
export function mountAlertRoutes(
  app: OpenAPIHono<BlankEnv>,
  alerts: AlertService | undefined,
): void {
  app.openapi(alertRoutes.list, async (c) => {
    const q = c.req.valid("query");
    if (!alerts) return c.json({ alerts: [], next_cursor: null }, 200);
    return c.json(
      await alerts.list({
        limit: q.limit,
        ...(q.monitor !== undefined ? { monitor: q.monitor } : {}),
        ...(q.state !== undefined ? { state: q.state } : {}),
        ...(q.cursor ? { cursor: q.cursor } : {}),
      }),
      200,
    );
  });
  app.openapi(alertRoutes.deliveries, async (c) => {
    const { id } = c.req.valid("param");
    const deliveries = alerts ? await alerts.deliveries(id) : null;
    if (!deliveries) {
      throw new NotFoundError(`no alert event with id "${id}"`, "id");
    }
    return c.json({ alert_event: id, deliveries }, 200);
  });
}
