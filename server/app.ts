// The Hono app, built without a socket so tests drive it with app.request().
import type { Context, Hono } from "hono";
import type { BlankEnv } from "hono/types";
import { OpenAPIHono } from "@hono/zod-openapi";
import {
  type ShimStatus,
  shimStatus,
  type SocketMode,
} from "../probe/icmp_socket.ts";
import type { Config } from "./config/config.ts";
import { ApiError, internalError, problemResponse } from "./http/problem.ts";
import { MalformedRequestError, NotFoundError } from "./errors.ts";
import type { Runner } from "./runs/runner.ts";
import { exportStream, hopsExportStream } from "./runs/export.ts";
import type { AuditAction, AuditStore } from "./store/audit_store.ts";
import { clientAddress } from "./http/client_address.ts";
import { apiRoutes } from "./http/api_routes.ts";
import { COMPONENTS, SECURITY_SCHEMES } from "./http/api_schemas.ts";
import { listQueryOf } from "./http/api_params.ts";
import { validationHook } from "./http/validation.ts";
import { mountSeedAliases } from "./http/legacy_routes.ts";
import { sseResponse } from "./http/sse_response.ts";
import { mountPages } from "../routes/mount_pages.tsx";
import type { MonitorPages } from "../routes/monitor_data.ts";
import type { Metrics } from "./ops/metrics.ts";
import { type Auth, principalOf } from "./auth/auth.ts";
import { mountSecurity } from "./http/security.ts";
import { streamLimit, StreamSlots } from "./http/sse_limit.ts";
import { mountAlertRoutes } from "./http/alert_routes.ts";
import type { AlertService } from "./alerts/alert_service.ts";
import { type MonitorApi, mountMonitorRoutes } from "./http/monitor_routes.ts";
import { mountAgentRoutes } from "./http/agent_routes.ts";
import type { AgentBus } from "./agents/agent_bus.ts";
import { mountSeriesRoutes } from "./series/series_routes.ts";
import { SeriesService } from "./series/series_service.ts";
import type { DeviceService } from "./device/device_service.ts";
import { mountDeviceRoutes } from "./http/device_routes.ts";

export interface AppDeps {
  /** Which ICMP socket each family gets, or why it cannot be opened. */
  icmpStatus: () => Record<"ipv4" | "ipv6", SocketMode | { error: string }>;
  /** The native shim's state; default: the real one (probe/icmp_socket.ts). */
  shimStatus?: () => ShimStatus;
  /** A cheap KV read (through the store); /healthz is 503 when it fails. */
  kvHealth?: () => Promise<unknown>;
  /** The test API; without it only /healthz and / are served. */
  api?: {
    config: Config;
    runner: Runner;
    /** Period of SSE heartbeat comments; default 15 s. */
    heartbeatMs?: number;
    /** Audit trail of start/stop/delete/export; GET /api/audit. */
    audit?: AuditStore;
    /** GET /metrics (Prometheus text); fed by the runner's `observe`. */
    metrics?: Metrics;
    /** Authentication; default: built from config.auth. */
    auth?: Auth;
    /** Monitor alerts: GET /api/alerts, /api/alerts/:id/deliveries. */
    alerts?: AlertService;
    /** What /monitors and /monitors/:id render; default: no monitors. */
    monitorPages?: MonitorPages;
    /** Monitors (/api/monitors); without it those routes are absent. */
    monitors?: MonitorApi;
    /** Probe agents (/api/agent/*, /api/agents); without it those routes are absent. */
    agents?: AgentBus;
    /** Downsampled series (/api/tests/:id/series); default: one over the runner. */
    series?: SeriesService;
    /** Device tests (POST /api/device-tests); without it that route is absent. */
    device?: DeviceService;
  };
}

const linksOf = (id: string) => ({
  self: `/api/tests/${id}`,
  events: `/api/tests/${id}/events`,
  stop: `/api/tests/${id}/stop`,
});

export function createApp(deps: AppDeps): Hono {
  // Validation failures are thrown (validationHook) and, like every error,
  // answered here: problem+json, mapped once (server/http/problem.ts).
  const app = new OpenAPIHono<BlankEnv>({
    defaultHook: validationHook,
  });
  app.onError((err) => {
    const res = problemResponse(err);
    if (res) return res;
    console.error(err);
    return internalError();
  });
  // Security headers, body limit, auth and roles: before every route.
  mountSecurity(app, deps.api?.config, deps.api?.auth);
  app.get("/healthz", async (c) => {
    const shim = (deps.shimStatus ?? shimStatus)();
    const icmp = deps.icmpStatus();
    let ok = shim.state === "loaded" &&
      (typeof icmp.ipv4 === "string" || typeof icmp.ipv6 === "string");
    let kv: "ok" | { error: string } | undefined;
    if (deps.kvHealth) {
      try {
        await deps.kvHealth();
        kv = "ok";
      } catch (e) {
        kv = { error: (e as Error).message };
        ok = false;
      }
    }
    return c.json(
      {
        status: ok ? "ok" : "degraded",
        shim,
        icmp,
        ...(kv !== undefined ? { kv } : {}),
      },
      ok ? 200 : 503,
    );
  });
  if (deps.api) {
    // One series service (and cache) for the API and the pages.
    const api = {
      ...deps.api,
      series: deps.api.series ?? new SeriesService(deps.api.runner),
    };
    mountPages(app, api);
    mountApi(app, api);
    mountSeedAliases(app);
  }
  app.notFound((c) =>
    new ApiError(404, `no route for ${c.req.method} ${c.req.path}`)
      .toResponse()
  );
  return app;
}

function mountApi(
  app: OpenAPIHono<BlankEnv>,
  api: NonNullable<AppDeps["api"]>,
): void {
  const { config, runner } = api;
  const heartbeatMs = api.heartbeatMs ?? 15_000;
  // One count of open streams per client, test and monitor streams together.
  const streamSlots = new StreamSlots(config.limits.max_sse_per_client);
  const routes = apiRoutes(config.servers);
  const audit = async (c: Context, action: AuditAction, test_id: string) => {
    if (!api.audit) return;
    try {
      await api.audit.record({
        action,
        test_id,
        who: principalOf(c).name,
        from: clientAddress(c),
      });
    } catch (e) {
      console.error("audit: record failed:", e);
    }
  };

  app.openapi(routes.servers, (c) => c.json({ servers: config.servers }, 200));
  if (api.monitors) {
    mountMonitorRoutes(app, { ...api, heartbeatMs, streamSlots }, api.monitors);
  }

  app.openapi(routes.startTest, async (c) => {
    let body: unknown;
    try {
      body = JSON.parse(await c.req.text());
    } catch (e) {
      throw new MalformedRequestError(
        `body: malformed JSON (${(e as Error).message})`,
        "body",
      );
    }
    const meta = await runner.start(body, principalOf(c).name);
    await audit(c, "start", meta.id);
    c.header("location", `/api/tests/${meta.id}`);
    return c.json({ ...meta, links: linksOf(meta.id) }, 201);
  });

  app.openapi(routes.listTests, async (c) => {
    const page = await runner.page(listQueryOf(c.req.valid("query")));
    return c.json({
      tests: page.tests.map((t) => ({ ...t, links: linksOf(t.id) })),
      next_cursor: page.next_cursor,
    }, 200);
  });

  mountAlertRoutes(app, api.alerts);
  mountSeriesRoutes(app, api.series ?? new SeriesService(runner));
  if (api.agents) mountAgentRoutes(app, api.agents);
  if (api.device) mountDeviceRoutes(app, api.device, audit);

  app.openapi(routes.audit, async (c) => {
    const { limit, cursor } = c.req.valid("query");
    if (!api.audit) return c.json({ entries: [], next_cursor: null }, 200);
    return c.json(await api.audit.list(limit, cursor), 200);
  });

  // Built on first request, once every route is registered.
  let document: ReturnType<typeof app.getOpenAPI31Document> | undefined;
  app.openapi(routes.openapi, (c) => {
    document ??= openApiDocument(app);
    return c.json(document, 200);
  });

  if (api.metrics) {
    const metrics = api.metrics;
    app.get("/metrics", async (c) => {
      const agents = await api.agents?.agents();
      c.header("content-type", "text/plain; version=0.0.4; charset=utf-8");
      return c.body(
        metrics.render(runner.running, agents) +
          (api.device?.metricsText() ?? ""),
      );
    });
  }
  app.openapi(routes.me, (c) => {
    const { name, role, via } = principalOf(c);
    return c.json({ name, role, via, auth: config.auth.mode }, 200);
  });

  const mustGet = async (id: string) => {
    const meta = await runner.get(id);
    if (!meta) throw new NotFoundError(`no test with id "${id}"`, "id");
    return meta;
  };

  app.openapi(routes.getTest, async (c) => {
    const meta = await mustGet(c.req.valid("param").id);
    // A device test's summary is its upload, download and round trip.
    const summary = meta.kind === "device"
      ? (meta.status === "running" ? null : meta.device?.summary ?? null)
      : await runner.summary(meta.id);
    const stats = runner.liveStats(meta.id);
    const paths = meta.settings.mode === "path"
      ? { paths: await runner.paths(meta.id) }
      : {};
    return c.json({
      ...meta,
      summary,
      ...(stats ? { stats } : {}),
      ...paths,
      links: linksOf(meta.id),
    }, 200);
  });

  app.openapi(routes.stopTest, async (c) => {
    const meta = await runner.stop(c.req.valid("param").id);
    await audit(c, "stop", meta.id);
    return c.json({ ...meta, links: linksOf(meta.id) }, 202);
  });

  app.openapi(routes.deleteTest, async (c) => {
    const { id } = c.req.valid("param");
    await runner.delete(id);
    await audit(c, "delete", id);
    return c.body(null, 204);
  });

  app.openapi(routes.samples, async (c) => {
    const meta = await mustGet(c.req.valid("param").id);
    const { limit, cursor } = c.req.valid("query");
    const page = await runner.samples(meta.id, cursor, limit);
    return c.json({ id: meta.id, status: meta.status, ...page }, 200);
  });

  app.openapi(routes.exportTest, async (c) => {
    const { format, kind: asked } = c.req.valid("query");
    const meta = await mustGet(c.req.valid("param").id);
    const path = meta.settings.mode === "path";
    const kind = asked ?? (path ? "hops" : "probes");
    if (kind === "hops" && !path) {
      throw new MalformedRequestError(
        'kind: "hops" is for path tests ("mode": "path") only',
        "kind",
      );
    }
    await audit(c, "export", meta.id);
    const filename = `pla-test-${meta.id}${
      kind === "hops" ? "-hops" : ""
    }.${format}`;
    // Streamed chunk by chunk: a day-long test is never whole in memory.
    const stream = kind === "hops"
      ? hopsExportStream(
        format,
        meta,
        runner.eventChunks(meta.id),
        await runner.paths(meta.id),
      )
      : exportStream(
        format,
        meta,
        runner.eventChunks(meta.id),
        await runner.summary(meta.id),
      );
    return c.body(
      stream,
      200,
      {
        "content-disposition": `attachment; filename="${filename}"`,
        "content-type": format === "csv"
          ? "text/csv; charset=utf-8; header=present"
          : "application/json",
      },
    );
  });

  app.use(
    "/api/tests/:id/events",
    streamLimit(streamSlots),
  );
  app.openapi(routes.events, async (c) => {
    const { id } = c.req.valid("param");
    const query = c.req.valid("query");
    const after = c.req.valid("header")["Last-Event-ID"] ??
      query.last_event_id ?? 0;
    const hub = await runner.hub(id);
    if (!hub) throw new NotFoundError(`no test with id "${id}"`, "id");
    api.metrics?.sseOpened();
    return sseResponse(hub.subscribe({ after }), {
      probes: query.probes !== "0",
      heartbeatMs,
      onClose: () => api.metrics?.sseClosed(),
    });
  });
}

/** The OpenAPI 3.1 document of every route registered with app.openapi. */
function openApiDocument(app: OpenAPIHono<BlankEnv>) {
  for (const [name, schema] of Object.entries(COMPONENTS)) {
    app.openAPIRegistry.register(name, schema);
  }
  for (const [name, scheme] of Object.entries(SECURITY_SCHEMES)) {
    app.openAPIRegistry.registerComponent("securitySchemes", name, scheme);
  }
  return app.getOpenAPI31Document({
    openapi: "3.1.0",
    info: { title: "packet-loss-analyzer", version: "1" },
    // A Bearer token or the session cookie from /login (none when auth is open).
    security: [{ bearerAuth: [] }, { sessionCookie: [] }],
  });
}
