// The service configuration: a YAML file validated by zod, or the embedded default.
import { z } from "zod";
import { parse as parseYaml } from "yaml";
import { parseAddress } from "../../probe/ip_address.ts";
import { probeSettings, probeSpec } from "../../model/probe.ts";
import { authSchema } from "../auth/auth_config.ts";
import {
  monitorRetention,
  monitorSpec,
  notifyTarget,
} from "../../model/monitor.ts";
import { DEFAULT_MAX_HOPS } from "../../model/path.ts";
import { siteName } from "../../model/agent.ts";
import { agentsSchema } from "../agents/agents_config.ts";
import { limitsSchema } from "../policy/limits.ts";
import { deviceTestConfig } from "../device/device_config.ts";
import { databaseUrlProblem } from "../store/pg/database_url.ts";
import {
  forbiddenReason,
  isHostName,
  targetPolicySchema,
} from "../policy/target_policy.ts";

export { type Limits, limitsSchema } from "../policy/limits.ts";

/** A larger config file is refused before parsing. */
export const MAX_CONFIG_BYTES = 1 << 20;

export const serverEntry = z.object({
  id: z.string().regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
    "id must be letters, digits, '.', '_' or '-'",
  ),
  name: z.string().min(1).max(200),
  host: z.string().min(1, "host must not be empty").max(253).superRefine(
    (host, ctx) => {
      const literal = parseAddress(host);
      const why = literal
        ? forbiddenReason(literal)
        : isHostName(host)
        ? null
        : "is neither an IP address nor a host name";
      if (why) ctx.addIssue({ code: "custom", message: `"${host}" ${why}` });
    },
  ),
  group: z.string().max(200).default("default"),
  tags: z.array(z.string().max(100)).max(100).default([]),
  description: z.string().max(2000).default(""),
  /** The site whose agent probes it (`deno task agent --site ...`); default: the service itself. */
  site: siteName.optional(),
  /** How it is probed: `{kind: tcp-syn, port: 443}`; absent: icmp. Tests and monitors may choose another. */
  probe: probeSpec.optional(),
}).strict(); // a misspelt field (`tag:`, `grup:`) must not vanish silently
export type ServerEntry = z.infer<typeof serverEntry>;

const settingsShape = probeSettings.shape;
const defaultSettings = z.object({
  interval_ms: settingsShape.interval_ms.default(1000),
  timeout_ms: settingsShape.timeout_ms.default(1000),
  size: settingsShape.size.default(56),
}).strict();

export const configSchema = z.object({
  servers: z.array(serverEntry).min(1, "at least one server is required")
    .max(10_000)
    .superRefine((list, ctx) => {
      const seen = new Set<string>();
      list.forEach((s, i) => {
        if (seen.has(s.id)) {
          ctx.addIssue({
            code: "custom",
            message: `duplicate server id "${s.id}"`,
            path: [i, "id"],
          });
        }
        seen.add(s.id);
      });
    }),
  defaults: defaultSettings.default({
    interval_ms: 1000,
    timeout_ms: 1000,
    size: 56,
  }),
  limits: limitsSchema.default(limitsSchema.parse({})),
  retention_days: z.number().positive().max(36_500).default(30),
  // prefault: an absent section is parsed as {}, so its checks still run.
  auth: authSchema.prefault({}),
  targets: targetPolicySchema.prefault({}),
  /** Monitors (restart to apply); admins add more through the API. */
  monitors: z.array(monitorSpec).max(10_000).default([]),
  /** Where alerts are sent. */
  notify: z.array(notifyTarget).max(1000).default([]),
  monitor_retention: monitorRetention.prefault({}),
  /** Probe agents at other sites: when one counts as offline, and how long its tests wait for it. */
  agents: agentsSchema.prefault({}),
  /** Device tests from the browser or the terminal client (WebRTC echo). */
  device_test: deviceTestConfig.prefault({}),
  /** Where users reach the service (e.g. https://pla.example.net): alert webhooks link the monitor's page under it; without it the link is a relative path. */
  public_url: z.url({
    protocol: /^https?$/,
    error: "public_url must be an http or https URL",
  }).optional(),
  /** PostgreSQL for history, audit trail and sessions instead of the KV file (PLA_DATABASE_URL wins). */
  database_url: z.string().superRefine((url, ctx) => {
    const why = databaseUrlProblem(url);
    if (why) ctx.addIssue({ code: "custom", message: why });
  }).optional(),
  /** TLS probes: `ca_file`, a PEM file of CAs trusted besides the system's (an internal CA). */
  tls: z.object({ ca_file: z.string().min(1).max(4096) }).strict().optional(),
}).strict().superRefine((c, ctx) => {
  // Configured servers' and monitors' ports must be allowed too.
  const ports = c.targets.allow_ports;
  if (ports) {
    const check = (port: number | undefined, path: (string | number)[]) => {
      if (port !== undefined && !ports.includes(port)) {
        ctx.addIssue({
          code: "custom",
          message: `port ${port} is not in targets.allow_ports`,
          path,
        });
      }
    };
    c.servers.forEach((s, i) =>
      check(s.probe?.port, ["servers", i, "probe", "port"])
    );
    c.monitors.forEach((m, i) =>
      check(m.probe?.port, ["monitors", i, "probe", "port"])
    );
  }
}).superRefine((c, ctx) => {
  // Cross-checks: monitors name configured servers and notify targets; ids
  // are unique; the monitors alone fit in limits.max_pps.
  const servers = new Set(c.servers.map((s) => s.id));
  const notify = new Set<string>();
  c.notify.forEach((n, i) => {
    if (notify.has(n.id)) {
      ctx.addIssue({
        code: "custom",
        message: `duplicate notify id "${n.id}"`,
        path: ["notify", i, "id"],
      });
    }
    notify.add(n.id);
  });
  const ids = new Set<string>();
  let pps = 0;
  c.monitors.forEach((m, i) => {
    if (ids.has(m.id)) {
      ctx.addIssue({
        code: "custom",
        message: `duplicate monitor id "${m.id}"`,
        path: ["monitors", i, "id"],
      });
    }
    ids.add(m.id);
    const site = c.servers.find((s) => s.id === m.server)?.site;
    if (m.mode === "path" && site && site !== "local") {
      ctx.addIssue({
        code: "custom",
        message:
          `path monitors run from the service only; server "${m.server}" is at site "${site}"`,
        path: ["monitors", i, "mode"],
      });
    }
    if (!servers.has(m.server)) {
      ctx.addIssue({
        code: "custom",
        message: `"${m.server}" is not a configured server id (servers[].id)`,
        path: ["monitors", i, "server"],
      });
    }
    m.alerts.forEach((a, j) =>
      a.notify.forEach((n, k) => {
        if (!notify.has(n)) {
          ctx.addIssue({
            code: "custom",
            message: `"${n}" is not a notify id (notify[].id)`,
            path: ["monitors", i, "alerts", j, "notify", k],
          });
        }
      })
    );
    pps += m.probes / m.step_s * (m.mode === "path" ? DEFAULT_MAX_HOPS : 1);
  });
  if (pps > c.limits.max_pps) {
    ctx.addIssue({
      code: "custom",
      message:
        `the monitors send ${pps} probes/s, more than limits.max_pps (${c.limits.max_pps})`,
      path: ["monitors"],
    });
  }
});
export type Config = z.infer<typeof configSchema>;

export const DEFAULT_CONFIG_YAML = `# Embedded default: loopback only, and no
# authentication (main.ts serves it on loopback addresses only).
auth:
  mode: open
servers:
  - id: localhost-v4
    name: Localhost (IPv4)
    host: 127.0.0.1
    group: local
    tags: [loopback, ipv4]
    description: This machine over IPv4 loopback.
  - id: localhost-v6
    name: Localhost (IPv6)
    host: "::1"
    group: local
    tags: [loopback, ipv6]
    description: This machine over IPv6 loopback.
`;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.join("\n")}`);
    this.name = "ConfigError";
  }
}

/** Validates YAML text; `file` names the source in every problem line. */
export function parseConfig(text: string, file = "<default>"): Config {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (e) {
    throw new ConfigError([`${file}: ${(e as Error).message.split("\n")[0]}`]);
  }
  const result = configSchema.safeParse(raw ?? {});
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((i) =>
        `${file}: ${i.path.length ? i.path.join(".") : "(root)"}: ${i.message}`
      ),
    );
  }
  return result.data;
}

/** Reads and validates `file`, or returns the embedded default when none is given. */
export async function loadConfig(file?: string): Promise<Config> {
  if (!file) return parseConfig(DEFAULT_CONFIG_YAML);
  let text: string;
  try {
    const { size } = await Deno.stat(file);
    if (size > MAX_CONFIG_BYTES) {
      throw new Error(`${size} bytes, at most ${MAX_CONFIG_BYTES}`);
    }
    text = await Deno.readTextFile(file);
  } catch (e) {
    throw new ConfigError([`${file}: ${(e as Error).message}`]);
  }
  return parseConfig(text, file);
}
