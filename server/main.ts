// Wires config, engine, store and runner into the app and serves it; nothing else lives here.
// Environment: HOST (default 127.0.0.1), PORT (default 8080), PLA_KV (default ./data/pla.kv),
// PLA_DATABASE_URL (PostgreSQL instead of the KV file; or database_url in the config),
// PLA_REPLICA_ID (default hostname:pid), PLA_CONFIG or --config FILE (default: the embedded
// loopback config); PLA_DEBUG_MEM=1 logs memory every second (below).
import { getHeapSpaceStatistics } from "node:v8";
import { createApp } from "./app.ts";
import { SeriesService } from "./series/series_service.ts";
import { withRequestLog } from "./http/request_log.ts";
import { ConfigError, loadConfig } from "./config/config.ts";
import { mainOptions } from "./main_options.ts";
import { Metrics } from "./ops/metrics.ts";
import { authNotice } from "./startup_check.ts";
import { openStores, type Stores } from "./store/open_stores.ts";
import { redactUrl } from "./store/pg/pg_client.ts";
import { Auth } from "./auth/auth.ts";
import { Runner } from "./runs/runner.ts";
import { DeviceService } from "./device/device_service.ts";
import { DeviceCounters } from "./device/device_metrics.ts";
import { AlertService } from "./alerts/alert_service.ts";
import { MonitorHub } from "./monitors/monitor_hub.ts";
import { MonitorService } from "./monitors/monitor_service.ts";
import { Engine } from "../probe/engine.ts";
import { openAgentBus } from "./agents/open_agent_bus.ts";
import { SiteExecutor } from "./agents/site_executor.ts";
import { AgentExecutor } from "./agents/agent_executor.ts";
import { Cluster } from "./cluster/cluster.ts";
import type { PgRunStore } from "./store/pg/pg_run_store.ts";
import { ShimLoadError } from "../probe/icmp_errors.ts";
import type { Family } from "../probe/ip_address.ts";

let options;
let config;
try {
  options = mainOptions(Deno.args, (k) => Deno.env.get(k));
  const file = options.configFile;
  if (
    file &&
    Deno.permissions.querySync({ name: "read", path: file }).state !== "granted"
  ) {
    // Deno's own message would say to add --allow-read, which a user of
    // `deno task start` cannot do; say what works instead.
    throw new Error(
      `${file}: outside what this process may read (the start task may read only inside the project directory: put the file there, or run server/main.ts with --allow-read=FILE)`,
    );
  }
  config = await loadConfig(file);
} catch (e) {
  console.error(
    e instanceof ConfigError ? e.message : `pla: ${(e as Error).message}`,
  );
  Deno.exit(2);
}
const { configFile, kvPath, port, hostname } = options;
const notice = authNotice(config, hostname, configFile !== undefined);
if (!notice.ok) {
  console.error(notice.message);
  Deno.exit(2);
}
console.log(notice.message);

let engine: Engine;
try {
  engine = Engine.create();
} catch (e) {
  // The shim missing, or built from other sources (its ABI): one line, not a
  // trace; ShimLoadError's message says to run `deno task build`.
  const what = e instanceof ShimLoadError
    ? e.message
    : `cannot start the probe engine: ${(e as Error).message}`;
  console.error(`pla: ${what}`);
  Deno.exit(2);
}
if (config.tls?.ca_file) {
  try {
    await engine.kinds.trustCa(await Deno.readTextFile(config.tls.ca_file));
  } catch (e) {
    console.error(
      `pla: tls.ca_file: cannot read ${config.tls.ca_file}: ${
        (e as Error).message
      }`,
    );
    Deno.exit(2);
  }
}
const modeOf = (family: Family) => {
  try {
    return engine.socketMode(family);
  } catch (e) {
    return { error: (e as Error).message };
  }
};
// The environment's URL wins over the config file's.
const databaseUrl = options.databaseUrl ?? config.database_url;
const replicaId = Deno.env.get("PLA_REPLICA_ID") || (() => {
  try {
    return `${Deno.hostname()}:${Deno.pid}`;
  } catch {
    return crypto.randomUUID(); // no --allow-sys=hostname
  }
})();
let stores: Stores;
try {
  stores = await openStores({
    kvPath,
    databaseUrl,
    replicaId,
    monitorRetention: config.monitor_retention,
  });
} catch (e) {
  if (databaseUrl) {
    // openPg's messages name the URL without its password.
    console.error(`pla: ${(e as Error).message}`);
    Deno.exit(2);
  }
  const hint = e instanceof Deno.errors.NotCapable
    ? " (the start task may open the KV store only under ./data; for another place run server/main.ts with --allow-read=DIR --allow-write=DIR)"
    : "";
  console.error(
    `cannot open the KV store at ${kvPath}: ${(e as Error).message}${hint}`,
  );
  Deno.exit(2);
}
const store = stores.runs;
const metrics = new Metrics();
// Replicas on one PostgreSQL database: global limits, live events of tests
// running on another replica, stops across replicas, dead replicas' tests
// interrupted, each monitor run by the replica holding its lease.
const cluster: Cluster | undefined = stores.sql
  ? new Cluster({
    sql: stores.sql,
    store: store as PgRunStore,
    replicaId,
    monitorsPps: (): number => monitors.pps(),
  })
  : undefined;
// Probe agents at other sites: tests on their servers run there; with
// PostgreSQL every replica shares the agents' state.
const agentBus = await openAgentBus(config, stores.sql);
const agents = agentBus.bus;
const agentExecutor = (site: string) =>
  new AgentExecutor(agents, site, config.agents.grace_s * 1000);
const runner = new Runner({
  engine,
  config,
  store,
  observe: (id, ev) => {
    metrics.observe(id, ev);
    // A finished test's series index is built now: its page opens at once.
    if (ev.type === "end") runner.finished(id).then(() => series.warm(id));
  },
  executor: new SiteExecutor(engine, agentExecutor),
  siteOnline: (site) => agents.siteOnline(site),
  cluster,
});
const series = new SeriesService(runner);
// Device tests: the browser (or terminal client) probes, the echo peer counts.
const device = new DeviceService({
  runner,
  config: config.device_test,
  counters: new DeviceCounters(),
});
// Monitors: in the same engine and database; they count against max_pps.
const monitorStore = stores.monitors;
const monitorHub = new MonitorHub();
const monitors = new MonitorService({
  engine,
  config,
  store: monitorStore,
  hub: monitorHub,
  testsPps: () => runner.runningPps,
  // A monitor's lease is renewed each time this is asked (every 5 s).
  ...(cluster
    ? { mayRun: (id: string) => cluster.leases.hold(`monitor:${id}`) }
    : {}),
  remote: {
    online: (site) => agents.siteOnline(site),
    executor: agentExecutor,
  },
});
runner.monitorsPps = () => monitors.pps();
metrics.monitors = () => monitors.list();
// Alerts read every stored step; their changes go out on the monitors' stream.
const alerts = new AlertService({
  store: stores.alerts,
  notify: config.notify,
  publicBase: config.public_url?.replace(/\/$/, ""),
  onEvent: (ev) => monitorHub.publishAlert(ev),
});
await alerts.start();
monitors.onPoint = (m, server, address, point) =>
  alerts.observe(m, server, address, point);
monitors.firing = (id, here) => alerts.firing(id, here);
// Replicas: a monitor taken over runs on from its stored alert states.
if (cluster) monitors.onStart = (id) => alerts.adopt(id);
monitors.onRemove = (id) => alerts.forget(id);
metrics.alertFiring = () => alerts.firingGauge();
await cluster?.start((id) => runner.stopIfHere(id));
await monitors.start();
// The audit trail and sessions live in the store's database (sessions in
// memory with KV).
const { audit } = stores;
const auth = new Auth(
  config.auth,
  stores.sessions(config.auth.session_hours * 3_600_000),
);
const prune = () =>
  runner.prune().then((gone) =>
    gone.length &&
    console.log(JSON.stringify({ msg: "pruned", tests: gone.length }))
  ).catch((e) => console.error("prune failed:", e));
await prune();
const pruneTimer = setInterval(prune, 3_600_000);
const app = createApp({
  icmpStatus: () => ({ ipv4: modeOf(4), ipv6: modeOf(6) }),
  kvHealth: async () => {
    // A read proves little when the disk is full: report failed writes too.
    if (store.writeError) throw new Error(`writes fail: ${store.writeError}`);
    await store.getTest("__healthz__");
  },
  api: {
    config,
    runner,
    series,
    audit,
    auth,
    metrics,
    monitors: { service: monitors, store: monitorStore, hub: monitorHub },
    agents,
    alerts,
    device,
    monitorPages: {
      list: () => Promise.resolve(monitors.list()),
      get: (id) => Promise.resolve(monitors.detail(id)),
    },
  },
});
const status = app.request("/healthz");
console.log(
  JSON.stringify({ msg: "icmp", ...(await (await status).json()).icmp }),
);
console.log(JSON.stringify({
  msg: "config",
  file: configFile ?? null,
  servers: config.servers.length,
  monitors: monitors.list().length,
  store: stores.kind,
  ...(databaseUrl ? { database: redactUrl(databaseUrl) } : { kv: kvPath }),
  replica: replicaId,
}));

let server: Deno.HttpServer;
try {
  server = Deno.serve({
    port,
    hostname,
    onListen: ({ hostname, port }) =>
      console.log(JSON.stringify({ msg: "listening", hostname, port })),
  }, withRequestLog(app.fetch));
} catch (e) {
  // A port in use or an address not on this machine: one line, not a trace.
  const hint = e instanceof Deno.errors.AddrInUse
    ? " (another process uses it: set PORT to a free port)"
    : e instanceof Deno.errors.AddrNotAvailable
    ? " (not an address of this machine: set HOST)"
    : "";
  console.error(
    `pla: cannot listen on ${hostname}:${port}: ${(e as Error).message}${hint}`,
  );
  await stores.close();
  Deno.exit(2);
}

// Debug: PLA_DEBUG_MEM=1 logs the process's memory (V8 heap, external, RSS)
// every second on stderr, with each V8 space's size and use (how bench 4's
// young-generation growth was found); with --v8-flags=--expose-gc after a
// full GC.
if (Deno.env.get("PLA_DEBUG_MEM")) {
  const timer = setInterval(() => {
    const gc = (globalThis as { gc?: () => void }).gc;
    const before = Deno.memoryUsage();
    gc?.();
    const m = Deno.memoryUsage();
    console.error(JSON.stringify({
      msg: "mem",
      heapUsedBeforeGc: before.heapUsed,
      ...m,
      spaces: Object.fromEntries(
        getHeapSpaceStatistics().map((
          x,
        ) => [x.space_name, [x.space_size, x.space_used_size]]),
      ),
    }));
  }, 1000);
  Deno.unrefTimer(timer);
}

/** Resolves when `p` settles or after `ms`, whichever is first. */
const atMost = (p: Promise<unknown>, ms: number) => {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    p.catch(() => {}),
    new Promise((r) => timer = setTimeout(r, ms)),
  ]).finally(() => clearTimeout(timer));
};

// Stops running tests (they end `stopped`, their data flushed) and exits
// within a few seconds: replies still in flight get SHUTDOWN_GRACE_MS, then
// the engine gives up on them.
const SHUTDOWN_GRACE_MS = 2000;
let shuttingDown = false;
const shutdown = async () => {
  if (shuttingDown) return;
  shuttingDown = true;
  console.log(JSON.stringify({ msg: "shutting down" }));
  clearInterval(pruneTimer);
  const stopped = Promise.all([runner.close(), monitors.close()]);
  await atMost(stopped, SHUTDOWN_GRACE_MS);
  await engine.close();
  await stopped;
  // The last steps' alert changes reach the store; pending webhooks stay
  // pending (in the store) for the next start.
  await atMost(alerts.flush(), SHUTDOWN_GRACE_MS);
  await alerts.close();
  await agentBus.shutdown();
  await cluster?.close();
  await atMost(server.shutdown(), SHUTDOWN_GRACE_MS);
  await stores.close();
  Deno.exit(0);
};
Deno.addSignalListener("SIGINT", shutdown);
Deno.addSignalListener("SIGTERM", shutdown);
