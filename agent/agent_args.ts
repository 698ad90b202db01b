// The command line of `deno task agent`.
import { parseArgs } from "node:util";
import { SITE_NAME } from "../model/agent.ts";

export const AGENT_USAGE =
  `Usage: deno task agent --server URL --site SITE [--token TOKEN] [--name NAME] [--buffer-dir DIR] [--buffer-max N]
  --server      the service, e.g. https://analyzer.example (the agent only connects out)
  --token       a token of role agent for this site (or PLA_AGENT_TOKEN; none while the service's auth is open)
  --site        the site this agent probes from (the token's site)
  --name        this agent's name (default: HOSTNAME-SITE)
  --buffer-dir  keep unacknowledged results beyond memory in files here
  --buffer-max  unacknowledged records kept before a run is stopped (default 1000000)`;

export interface AgentArgs {
  server: string;
  token?: string;
  site: string;
  name: string;
  bufferDir?: string;
  bufferMax: number;
}

export class AgentArgsError extends Error {}

export function parseAgentArgs(
  argv: string[],
  env: (k: string) => string | undefined,
  hostname: () => string,
): AgentArgs {
  let v;
  try {
    v = parseArgs({
      args: argv,
      options: {
        server: { type: "string" },
        token: { type: "string" },
        site: { type: "string" },
        name: { type: "string" },
        "buffer-dir": { type: "string" },
        "buffer-max": { type: "string" },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (e) {
    throw new AgentArgsError((e as Error).message);
  }
  if (!v.server) throw new AgentArgsError("--server is required");
  let url: URL;
  try {
    url = new URL(v.server);
  } catch {
    throw new AgentArgsError(`--server: "${v.server}" is not a URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new AgentArgsError("--server: must be an http:// or https:// URL");
  }
  if (!v.site) throw new AgentArgsError("--site is required");
  if (!SITE_NAME.test(v.site)) {
    throw new AgentArgsError(
      "--site: 1-63 lowercase letters, digits, '_' or '-', starting with a letter or digit",
    );
  }
  const name = v.name ?? `${hostname()}-${v.site}`.slice(0, 64);
  if (!/^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$/.test(name)) {
    throw new AgentArgsError("--name: 1-64 letters, digits or . _ @ + -");
  }
  const maxText = v["buffer-max"] ?? "1000000";
  const bufferMax = Number(maxText);
  if (!/^[0-9]{1,9}$/.test(maxText) || bufferMax < 1) {
    throw new AgentArgsError("--buffer-max: a whole number of at least 1");
  }
  return {
    server: url.href.replace(/\/$/, ""),
    token: v.token ?? (env("PLA_AGENT_TOKEN") || undefined),
    site: v.site,
    name,
    bufferDir: v["buffer-dir"],
    bufferMax,
  };
}
