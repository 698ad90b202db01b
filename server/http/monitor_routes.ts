// /api/monitors: the monitors' list, detail, series and live stream (viewer),
// and their creation, change and removal (admin, audited). Route definitions
// come from the model (model/monitor.ts), as everywhere in the API.
import { type OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { BlankEnv } from "hono/types";
import {
  monitorDetail,
  monitorId,
  monitorSeries,
  monitorSpec,
  monitorStatus,
  type Resolution,
  resolution,
} from "../../model/monitor.ts";
import {
  ConflictError,
  InvalidRequestError,
  MalformedRequestError,
  NotFoundError,
} from "../errors.ts";
import type { Config } from "../config/config.ts";
import type { AuditAction, AuditStore } from "../store/audit_store.ts";
import type { MonitorService } from "../monitors/monitor_service.ts";
import type { MonitorStore } from "../monitors/monitor_store.ts";
import type { MonitorHub } from "../monitors/monitor_hub.ts";
import { principalOf } from "../auth/auth.ts";
import { clientAddress } from "./client_address.ts";
import { json, problem, secured } from "./api_routes.ts";
import { eventsHeaders, eventsQuery } from "./api_params.ts";
import { sseResponse } from "./sse_response.ts";
import { MAX_SERIES_POINTS } from "../../model/monitor_event_types.ts";
import { streamLimit, StreamSlots } from "./sse_limit.ts";
import type { Metrics } from "../ops/metrics.ts";

/** Points a series answers without `resolution` (the finest that fits). */
export const AUTO_MAX_POINTS = 1500;
/** Points a series may answer at all (an explicit fine resolution over a long range). */
export const MAX_POINTS = MAX_SERIES_POINTS;

export interface MonitorApi {
  service: MonitorService;
  store: MonitorStore;
  hub: MonitorHub;
}

const idParam = z.object({
  id: monitorId.meta({ description: "monitor id" }),
});

/** ms since the epoch, or an ISO 8601 time. */
const timeQuery = (description: string) =>
  z.string().optional().transform((raw, ctx) => {
    if (raw === undefined || raw === "") return undefined;
    const n = /^\d{1,15}$/.test(raw) ? Number(raw) : Date.parse(raw);
    if (Number.isFinite(n)) return n;
    ctx.addIssue({
      code: "custom",
      message: "must be ms since the epoch or an ISO 8601 time",
      input: raw,
    });
    return z.NEVER;
  }).openapi({ description, type: "string" });

const seriesQuery = z.object({
  from: timeQuery("start, ms since the epoch or ISO 8601 (default: to - 3 h)"),
  to: timeQuery("end, ms since the epoch or ISO 8601 (default: now)"),
  resolution: resolution.optional().meta({
    description:
      `step, hour or day; default: the finest with at most ${AUTO_MAX_POINTS} points in [from, to)`,
  }),
});

const specBody = {
  body: {
    required: true,
    content: {
      "application/json": {
        schema: { $ref: "#/components/schemas/MonitorSpec" },
      },
    },
  },
};

const limit429 = {
  ...problem("running tests and monitors would exceed limits.max_pps"),
  headers: z.object({ "Retry-After": z.string() }),
};

export function monitorRoutes() {
  return {
    list: secured({
      method: "get",
      path: "/api/monitors",
      summary: "Every monitor with its state and latest point",
      responses: {
        200: json(z.object({ monitors: z.array(monitorStatus) }), "monitors"),
      },
    }),
    events: secured({
      method: "get",
      path: "/api/monitors/events",
      summary:
        "Server-Sent Events: point (MonitorPointEvent: a step stored, or an hour/day rolled up) and alert (AlertEvent); resumable with Last-Event-ID from the newest 1000 events",
      request: {
        query: eventsQuery.pick({ last_event_id: true }),
        headers: eventsHeaders,
      },
      responses: {
        200: {
          description: "event stream",
          content: { "text/event-stream": { schema: z.string() } },
        },
        400: problem("bad Last-Event-ID"),
        429: {
          ...problem("too many open event streams for this client"),
          headers: z.object({ "Retry-After": z.string() }),
        },
      },
    }),
    get: secured({
      method: "get",
      path: "/api/monitors/{id}",
      summary: "One monitor: its spec, state, latest point (and latest path)",
      request: { params: idParam },
      responses: {
        200: json(monitorDetail, "the monitor"),
        404: problem("no such monitor"),
      },
    }),
    series: secured({
      method: "get",
      path: "/api/monitors/{id}/series",
      summary:
        "A monitor's points in [from, to) at a stored resolution, and its gaps (no data)",
      request: { params: idParam, query: seriesQuery },
      responses: {
        200: json(monitorSeries, "points and gaps"),
        400: problem("bad from, to or resolution"),
        404: problem("no such monitor"),
      },
    }),
    create: secured({
      method: "post",
      path: "/api/monitors",
      summary:
        "Create a monitor (admin); it starts at once and survives restarts",
      request: specBody,
      responses: {
        201: json(monitorDetail, "created"),
        400: problem("malformed JSON"),
        409: problem("a monitor with this id exists"),
        422: problem(
          "invalid monitor: schema, unknown server or limits.max_pps",
        ),
        429: limit429,
      },
    }),
    update: secured({
      method: "patch",
      path: "/api/monitors/{id}",
      summary:
        "Change a monitor created through the API (admin): the fields given replace its spec's; it restarts",
      request: { params: idParam, ...specBody },
      responses: {
        200: json(monitorDetail, "changed"),
        400: problem("malformed JSON"),
        404: problem("no such monitor"),
        409: problem("defined in the config file (read-only here)"),
        422: problem(
          "invalid monitor: schema, unknown server or limits.max_pps",
        ),
        429: limit429,
      },
    }),
    remove: secured({
      method: "delete",
      path: "/api/monitors/{id}",
      summary:
        "Stop and remove a monitor created through the API (admin); its stored history stays until it expires",
      request: { params: idParam },
      responses: {
        204: { description: "removed" },
        404: problem("no such monitor"),
        409: problem("defined in the config file (read-only here)"),
      },
    }),
  };
}

async function jsonBody(c: Context): Promise<unknown> {
  try {
    return JSON.parse(await c.req.text());
  } catch (e) {
    throw new MalformedRequestError(
      `body: malformed JSON (${(e as Error).message})`,
      "body",
    );
  }
}

function validSpec(body: unknown) {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new InvalidRequestError("body must be a JSON object", "body");
  }
  const r = monitorSpec.safeParse(body);
  if (!r.success) {
    const issue = r.error.issues[0];
    const field = issue.code === "unrecognized_keys"
      ? issue.keys[0]
      : issue.path.length
      ? issue.path.map(String).join(".")
      : "body";
    throw new InvalidRequestError(`${field}: ${issue.message}`, field);
  }
  return r.data;
}

/** The stored resolution with at most AUTO_MAX_POINTS points in the span. */
export function autoResolution(spanMs: number, stepS: number): Resolution {
  if (spanMs / (stepS * 1000) <= AUTO_MAX_POINTS) return "step";
  if (spanMs / 3_600_000 <= AUTO_MAX_POINTS) return "hour";
  return "day";
}

const SPAN_S: Record<Resolution, number | null> = {
  step: null,
  hour: 3600,
  day: 86400,
};

export function mountMonitorRoutes(
  app: OpenAPIHono<BlankEnv>,
  deps: {
    config: Config;
    audit?: AuditStore;
    metrics?: Metrics;
    heartbeatMs: number;
    /** The per-client count of open event streams shared with the test streams. */
    streamSlots?: StreamSlots;
  },
  api: MonitorApi,
): void {
  const { service, store, hub } = api;
  const routes = monitorRoutes();
  app.openAPIRegistry.register("MonitorSpec", monitorSpec);
  const audit = async (c: Context, action: AuditAction, id: string) => {
    if (!deps.audit) return;
    try {
      await deps.audit.record({
        action,
        test_id: "",
        monitor_id: id,
        who: principalOf(c).name,
        from: clientAddress(c),
      });
    } catch (e) {
      console.error("audit: record failed:", e);
    }
  };
  const detail = (id: string) => {
    const d = service.detail(id);
    if (!d) throw new NotFoundError(`no monitor with id "${id}"`, "id");
    return d;
  };

  app.openapi(routes.list, (c) => c.json({ monitors: service.list() }, 200));

  app.use(
    "/api/monitors/events",
    streamLimit(
      deps.streamSlots ??
        new StreamSlots(deps.config.limits.max_sse_per_client),
    ),
  );
  app.openapi(routes.events, (c) => {
    const after = c.req.valid("header")["Last-Event-ID"] ??
      c.req.valid("query").last_event_id ?? hub.lastId;
    deps.metrics?.sseOpened();
    return sseResponse(hub.subscribe(after), {
      probes: true,
      heartbeatMs: deps.heartbeatMs,
      onClose: () => deps.metrics?.sseClosed(),
    });
  });

  app.openapi(routes.get, (c) => c.json(detail(c.req.valid("param").id), 200));

  app.openapi(routes.series, async (c) => {
    const { id } = c.req.valid("param");
    const spec = service.spec(id);
    if (!spec) throw new NotFoundError(`no monitor with id "${id}"`, "id");
    const q = c.req.valid("query");
    const to = q.to ?? Date.now();
    const from = q.from ?? to - 3 * 3_600_000;
    if (!(from < to)) {
      throw new MalformedRequestError("from: must be before to", "from");
    }
    const res = q.resolution ?? autoResolution(to - from, spec.step_s);
    const span = SPAN_S[res] ?? spec.step_s;
    const estimate = (to - from) / (span * 1000);
    if (estimate > MAX_POINTS) {
      throw new MalformedRequestError(
        `resolution: ${res} over [from, to) is up to ${
          Math.ceil(estimate)
        } points, at most ${MAX_POINTS}: narrow from/to or choose a coarser resolution`,
        "resolution",
      );
    }
    // A point is in the range when it starts in it, or covers its start.
    const start = Math.floor(from / (span * 1000)) * span * 1000;
    const points = await store.points(id, res, start, to, MAX_POINTS);
    const gaps = await store.gaps(id, from, to);
    return c.json(
      { monitor: id, resolution: res, from, to, points, gaps },
      200,
    );
  });

  app.openapi(routes.create, async (c) => {
    const spec = validSpec(await jsonBody(c));
    await service.create(spec);
    await audit(c, "monitor_create", spec.id);
    c.header("location", `/api/monitors/${spec.id}`);
    return c.json(detail(spec.id), 201);
  });

  app.openapi(routes.update, async (c) => {
    const { id } = c.req.valid("param");
    const body = await jsonBody(c);
    const current = service.spec(id);
    if (!current) throw new NotFoundError(`no monitor with id "${id}"`, "id");
    if (service.status(id)?.source === "config") {
      throw new ConflictError(
        `monitor "${id}" is defined in the config file: change it there and restart the service`,
      );
    }
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      throw new InvalidRequestError("body must be a JSON object", "body");
    }
    const given = body as Record<string, unknown>;
    if (given.id !== undefined && given.id !== id) {
      throw new InvalidRequestError("id: cannot be changed", "id");
    }
    const spec = validSpec({ ...current, ...given, id });
    await service.update(spec);
    await audit(c, "monitor_update", id);
    return c.json(detail(id), 200);
  });

  app.openapi(routes.remove, async (c) => {
    const { id } = c.req.valid("param");
    await service.remove(id);
    await audit(c, "monitor_delete", id);
    return c.body(null, 204);
  });
}
