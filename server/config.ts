// The service configuration: a YAML file validated by zod, or the embedded default.
import { z } from "zod";
import { parse as parseYaml } from "yaml";
import { probeSettings } from "../probe/schemas.ts";

export const serverEntry = z.object({
  id: z.string().regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
    "id must be letters, digits, '.', '_' or '-'",
  ),
  name: z.string().min(1),
  host: z.string().min(1, "host must not be empty"),
  group: z.string().default("default"),
  tags: z.array(z.string()).default([]),
  description: z.string().default(""),
});
export type ServerEntry = z.infer<typeof serverEntry>;

const settingsShape = probeSettings.shape;
const defaultSettings = z.object({
  interval_ms: settingsShape.interval_ms.default(1000),
  timeout_ms: settingsShape.timeout_ms.default(1000),
  size: settingsShape.size.default(56),
}).strict();

export const limitsSchema = z.object({
  min_interval_ms: z.number().min(1).default(10),
  max_duration_s: z.number().positive().default(3600),
  max_count: z.number().int().min(1).default(100_000),
  max_targets: z.number().int().min(1).default(10),
  max_concurrent_tests: z.number().int().min(1).default(5),
});
export type Limits = z.infer<typeof limitsSchema>;

export const configSchema = z.object({
  servers: z.array(serverEntry).min(1, "at least one server is required")
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
  retention_days: z.number().positive().default(30),
}).strict();
export type Config = z.infer<typeof configSchema>;

export const DEFAULT_CONFIG_YAML = `# Embedded default: loopback only.
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
    text = await Deno.readTextFile(file);
  } catch (e) {
    throw new ConfigError([`${file}: ${(e as Error).message}`]);
  }
  return parseConfig(text, file);
}
