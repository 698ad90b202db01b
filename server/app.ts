// The Hono app, built without a socket so tests drive it with app.request().
import { type Context, Hono } from "hono";
import type { SocketMode } from "../probe/icmp_socket.ts";
import type { Config } from "./config/config.ts";
import { ApiError } from "./http/problem.ts";
import type { Runner } from "./runs/runner.ts";
import { exportStream, parseExportFormat } from "./runs/export.ts";
import { parseSamplesQuery } from "./runs/samples.ts";
import {
  type AuditAction,
  AuditLog,
  clientAddress,
} from "./store/audit_log.ts";
import { openApiDocument } from "./http/openapi.ts";
import { mountSeedAliases } from "./http/legacy_routes.ts";
import { sseResponse } from "./http/sse_response.ts";
import { mountPages } from "../routes/mount_pages.tsx";
import { parseLimit, parseTestListQuery } from "./runs/run_list.ts";
import type { Metrics } from "./ops/metrics.ts";
import { type Auth, principalOf } from "./auth/auth.ts";
import { mountSecurity } from "./http/security.ts";
import { streamLimit, StreamSlots } from "./http/sse_limit.ts";
import { checkTestId } from "./runs/run_id.ts";

export interface AppDeps {
  /** Which ICMP socket each family gets, or why it cannot be opened. */
  icmpStatus: () => Record<"ipv4" | "ipv6", SocketMode | { error: string }>;
  /** A cheap KV read (through the store); /healthz is 503 when it fails. */
  kvHealth?: () => Promise<unknown>;
  /** The test API; without it only /healthz and / are served. */
  api?: {
    config: Config;
    runner: Runner;
    /** Period of SSE heartbeat comments; default 15 s. */
    heartbeatMs?: number;
    /** Audit trail of start/stop/delete/export; GET /api/audit. */
    audit?: AuditLog;
    /** GET /metrics (Prometheus text); fed by the runner's `observe`. */
    metrics?: Metrics;
    /** Authentication; default: built from config.auth. */
    auth?: Auth;
  };
}

const linksOf = (id: string) => ({
  self: `/api/tests/${id}`,
  events: `/api/tests/${id}/events`,
  stop: `/api/tests/${id}/stop`,
});

export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  app.onError((err) => {
    if (err instanceof ApiError) return err.toResponse();
    console.error(err);
    return new ApiError(500, "internal error").toResponse();
  });
  // Security headers, body limit, auth and roles: before every route.
  mountSecurity(app, deps.api?.config, deps.api?.auth);
  app.get("/healthz", async (c) => {
    const icmp = deps.icmpStatus();
    let ok = typeof icmp.ipv4 === "string" || typeof icmp.ipv6 === "string";
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
        shim: "loaded",
        icmp,
        ...(kv !== undefined ? { kv } : {}),
      },
      ok ? 200 : 503,
    );
  });
  if (deps.api) {
    mountPages(app, deps.api);
    mountApi(app, deps.api);
    mountSeedAliases(app);
  }
  app.notFound((c) =>
    new ApiError(404, `no route for ${c.req.method} ${c.req.path}`)
      .toResponse()
  );
  return app;
}

function mountApi(app: Hono, api: NonNullable<AppDeps["api"]>): void {
  const { config, runner } = api;
  const heartbeatMs = api.heartbeatMs ?? 15_000;
  const audit = async (c: Context, action: AuditAction, test_id: string) => {
    if (!api.audit) return;
    try {
      await api.audit.record({
        action,
        test_id,
        who: principalOf(c).name,
        from: clientAddress(c.env),
      });
    } catch (e) {
      console.error("audit: record failed:", e);
    }
  };

  app.get("/api/servers", (c) => c.json({ servers: config.servers }));

  app.post("/api/tests", async (c) => {
    let body: unknown;
    try {
      body = JSON.parse(await c.req.text());
    } catch (e) {
      throw new ApiError(
        400,
        `body: malformed JSON (${(e as Error).message})`,
        "body",
      );
    }
    const meta = await runner.start(body, principalOf(c).name);
    await audit(c, "start", meta.id);
    c.header("location", `/api/tests/${meta.id}`);
    return c.json({ ...meta, links: linksOf(meta.id) }, 201);
  });

  app.get("/api/tests", async (c) => {
    const q = parseTestListQuery(c.req.query(), config);
    const page = await runner.page(q);
    return c.json({
      tests: page.tests.map((t) => ({ ...t, links: linksOf(t.id) })),
      next_cursor: page.next_cursor,
    });
  });

  app.get("/api/audit", async (c) => {
    const limit = parseLimit(c.req.query("limit"));
    if (!api.audit) return c.json({ entries: [], next_cursor: null });
    return c.json(await api.audit.list(limit, c.req.query("cursor")));
  });

  app.get("/api/openapi.json", (c) => c.json(openApiDocument()));

  if (api.metrics) {
    const metrics = api.metrics;
    app.get("/metrics", (c) => {
      c.header("content-type", "text/plain; version=0.0.4; charset=utf-8");
      return c.body(metrics.render(runner.running));
    });
  }
  app.get("/api/me", (c) => {
    const { name, role, via } = principalOf(c);
    return c.json({ name, role, via, auth: config.auth.mode });
  });

  app.use("/api/tests/:id", checkTestId);
  app.use("/api/tests/:id/*", checkTestId);

  const mustGet = async (id: string) => {
    const meta = await runner.get(id);
    if (!meta) throw new ApiError(404, `no test with id "${id}"`, "id");
    return meta;
  };

  app.get("/api/tests/:id", async (c) => {
    const meta = await mustGet(c.req.param("id"));
    const summary = await runner.summary(meta.id);
    const stats = runner.liveStats(meta.id);
    return c.json({
      ...meta,
      summary,
      ...(stats ? { stats } : {}),
      links: linksOf(meta.id),
    });
  });

  app.post("/api/tests/:id/stop", async (c) => {
    const meta = await runner.stop(c.req.param("id"));
    await audit(c, "stop", meta.id);
    return c.json({ ...meta, links: linksOf(meta.id) }, 202);
  });

  app.delete("/api/tests/:id", async (c) => {
    await runner.delete(c.req.param("id"));
    await audit(c, "delete", c.req.param("id"));
    return c.body(null, 204);
  });

  app.get("/api/tests/:id/samples", async (c) => {
    const meta = await mustGet(c.req.param("id"));
    const { limit, after } = parseSamplesQuery(
      c.req.query("limit"),
      c.req.query("cursor"),
    );
    const page = await runner.samples(meta.id, after, limit);
    return c.json({ id: meta.id, status: meta.status, ...page });
  });

  app.get("/api/tests/:id/export", async (c) => {
    const format = parseExportFormat(c.req.query("format"));
    const meta = await mustGet(c.req.param("id"));
    await audit(c, "export", meta.id);
    const summary = await runner.summary(meta.id);
    const filename = `pla-test-${meta.id}.${format}`;
    // Streamed chunk by chunk: a day-long test is never whole in memory.
    return c.body(
      exportStream(format, meta, runner.eventChunks(meta.id), summary),
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
    streamLimit(new StreamSlots(config.limits.max_sse_per_client)),
  );
  app.get("/api/tests/:id/events", async (c) => {
    const id = c.req.param("id");
    const hub = await runner.hub(id);
    if (!hub) throw new ApiError(404, `no test with id "${id}"`, "id");
    const lastRaw = c.req.header("last-event-id") ??
      c.req.query("last_event_id");
    let after = 0;
    if (lastRaw !== undefined && lastRaw !== "") {
      after = Number(lastRaw);
      // Digits only: no " 1", "0x10", "1e3" or values past 2^53.
      if (!/^\d{1,15}$/.test(lastRaw)) {
        throw new ApiError(
          400,
          "Last-Event-ID: must be a non-negative integer",
          "Last-Event-ID",
        );
      }
    }
    const probesRaw = c.req.query("probes");
    if (probesRaw !== undefined && probesRaw !== "0" && probesRaw !== "1") {
      throw new ApiError(400, "probes: must be 0 or 1", "probes");
    }
    const probes = probesRaw !== "0";
    api.metrics?.sseOpened();
    return sseResponse(hub.subscribe({ after }), {
      probes,
      heartbeatMs,
      onClose: () => api.metrics?.sseClosed(),
    });
  });
}
