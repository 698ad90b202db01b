// Shared by the API tests: the app over a real engine probing loopback only,
// KV in memory, and an audit log on its own in-memory KV.
import assert from "node:assert/strict";
import type { Hono } from "hono";
import { Engine } from "../probe/engine.ts";
import { createApp } from "../server/app.ts";
import { AuditLog } from "../server/store/audit_log.ts";
import {
  type Config,
  loadConfig,
  parseConfig,
} from "../server/config/config.ts";
import { Metrics } from "../server/ops/metrics.ts";
import { KvStore } from "../server/store/kv_store.ts";
import { Runner } from "../server/runs/runner.ts";
import type { AlertService } from "../server/alerts/alert_service.ts";
import type { MonitorPages } from "../routes/monitor_data.ts";
import type { AgentBus } from "../server/agents/agent_bus.ts";
import { SiteExecutor } from "../server/agents/site_executor.ts";
import { AgentExecutor } from "../server/agents/agent_executor.ts";
import { DeviceService } from "../server/device/device_service.ts";
import { DeviceCounters } from "../server/device/device_metrics.ts";
import { closeAllPeers } from "../probe/device/ndc_library.ts";

/** The runner's options for tests at other sites (as server/main.ts wires them; grace 1 s). */
const agentRunnerOptions = (engine: Engine, bus: AgentBus) => ({
  executor: new SiteExecutor(
    engine,
    (site) => new AgentExecutor(bus, site, 1000),
  ),
  siteOnline: (site: string) => bus.siteOnline(site),
});

export interface ApiKit {
  app: Hono;
  runner: Runner;
  store: KvStore;
  audit: AuditLog;
  metrics: Metrics;
  config: Config;
}

export interface ApiKitOptions {
  /** Finished tests kept in memory; 0 reads them back from the store. */
  keepFinished?: number;
  heartbeatMs?: number;
  /** YAML config instead of the embedded default (auth, policy, limits tests). */
  configYaml?: string;
  /** Monitor alerts behind /api/alerts. */
  alerts?: AlertService;
  /** What the monitor pages render (a fixture; default: no monitors). */
  monitorPages?: MonitorPages;
  /** Probe agents: their routes, and tests at other sites run through them. */
  agents?: AgentBus;
  /** Prepares the engine (e.g. trusts a test CA for tls probes). */
  engineSetup?: (engine: Engine) => void | Promise<void>;
  /** Device tests (POST /api/device-tests) with the config's device_test. */
  device?: boolean;
}

export async function withApiKit(
  fn: (kit: ApiKit) => Promise<void>,
  options: ApiKitOptions = {},
) {
  const engine = Engine.create();
  await options.engineSetup?.(engine);
  const store = await KvStore.open(":memory:");
  const kv = await Deno.openKv(":memory:");
  const audit = new AuditLog(kv);
  const config = options.configYaml
    ? parseConfig(options.configYaml, "test.yaml")
    : await loadConfig();
  const metrics = new Metrics();
  const runner = new Runner({
    observe: (id, ev) => metrics.observe(id, ev),
    engine,
    config,
    store,
    reportEveryMs: 50,
    keepFinished: options.keepFinished,
    ...(options.agents ? agentRunnerOptions(engine, options.agents) : {}),
  });
  const app = createApp({
    icmpStatus: () => ({ ipv4: "raw", ipv6: "raw" }),
    kvHealth: () => store.getTest("__healthz__"),
    api: {
      config,
      runner,
      audit,
      metrics,
      heartbeatMs: options.heartbeatMs ?? 20,
      alerts: options.alerts,
      monitorPages: options.monitorPages,
      agents: options.agents,
      ...(options.device
        ? {
          device: new DeviceService({
            runner,
            config: config.device_test,
            counters: new DeviceCounters(),
          }),
        }
        : {}),
    },
  });
  try {
    await fn({ app, runner, store, audit, metrics, config });
  } finally {
    await runner.close();
    // libdatachannel calls back into this isolate: its peers end before it does.
    if (options.device) await closeAllPeers();
    await engine.close();
    await store.close();
    kv.close();
  }
}

export const postJson = async (app: Hono, path: string, body: unknown) =>
  await app.request(path, {
    method: "POST",
    body: typeof body === "string" ? body : JSON.stringify(body),
    headers: { "content-type": "application/json" },
  });

/** Starts a one-probe loopback test and waits for it to finish. */
export async function quickTest(
  kit: ApiKit,
  target = "localhost-v4",
): Promise<string> {
  const res = await postJson(kit.app, "/api/tests", {
    targets: [target],
    count: 1,
    interval_ms: 10,
    timeout_ms: 200,
  });
  assert.equal(res.status, 201);
  const { id } = await res.json();
  await kit.runner.finished(id);
  return id;
}

export async function assertProblem(
  res: Response,
  status: number,
  field: string,
) {
  assert.equal(res.status, status);
  assert.equal(res.headers.get("content-type"), "application/problem+json");
  const body = await res.json();
  assert.equal(body.status, status);
  assert.equal(body.field, field);
  assert.ok(body.detail.includes(field), body.detail);
}
