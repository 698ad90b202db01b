// Wires config, engine, store and runner into the app and serves it; nothing else lives here.
// Environment: HOST (default 127.0.0.1), PORT (default 8080), PLA_KV (default ./data/pla.kv),
// PLA_CONFIG or --config FILE (default: the embedded loopback config).
import { createApp } from "./app.ts";
import { AuditLog } from "./audit_log.ts";
import { withRequestLog } from "./request_log.ts";
import { ConfigError, loadConfig } from "./config.ts";
import { mainOptions } from "./main_options.ts";
import { authNotice } from "./startup_check.ts";
import { TestStore } from "./store.ts";
import { TestRunner } from "./test_runner.ts";
import { Engine } from "../probe/engine.ts";
import type { Family } from "../probe/ip_address.ts";

let options;
let config;
try {
  options = mainOptions(Deno.args, (k) => Deno.env.get(k));
  config = await loadConfig(options.configFile);
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

const engine = Engine.create();
const modeOf = (family: Family) => {
  try {
    return engine.socketMode(family);
  } catch (e) {
    return { error: (e as Error).message };
  }
};
let store: TestStore;
try {
  store = await TestStore.open(kvPath);
} catch (e) {
  const hint = e instanceof Deno.errors.NotCapable
    ? " (the start task may write only under ./data; run server/main.ts with --allow-write=DIR for another place)"
    : "";
  console.error(
    `cannot open the KV store at ${kvPath}: ${(e as Error).message}${hint}`,
  );
  Deno.exit(2);
}
const runner = new TestRunner({ engine, config, store });
// The audit trail lives in the store's database, on the same handle.
const audit = new AuditLog(store.kv);
const prune = () =>
  runner.prune().then((gone) =>
    gone.length &&
    console.log(JSON.stringify({ msg: "pruned", tests: gone.length }))
  ).catch((e) => console.error("prune failed:", e));
await prune();
const pruneTimer = setInterval(prune, 3_600_000);
const app = createApp({
  icmpStatus: () => ({ ipv4: modeOf(4), ipv6: modeOf(6) }),
  kvHealth: () => store.getTest("__healthz__"),
  api: { config, runner, audit },
});
const status = app.request("/healthz");
console.log(
  JSON.stringify({ msg: "icmp", ...(await (await status).json()).icmp }),
);
console.log(JSON.stringify({
  msg: "config",
  file: configFile ?? null,
  servers: config.servers.length,
  kv: kvPath,
}));

const server = Deno.serve({
  port,
  hostname,
  onListen: ({ hostname, port }) =>
    console.log(JSON.stringify({ msg: "listening", hostname, port })),
}, withRequestLog(app.fetch));

let shuttingDown = false;
const shutdown = async () => {
  if (shuttingDown) return;
  shuttingDown = true;
  console.log(JSON.stringify({ msg: "shutting down" }));
  clearInterval(pruneTimer);
  await runner.close();
  await server.shutdown();
  await engine.close();
  await store.close();
  Deno.exit(0);
};
Deno.addSignalListener("SIGINT", shutdown);
Deno.addSignalListener("SIGTERM", shutdown);
