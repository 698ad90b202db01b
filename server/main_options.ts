// Where the service takes its settings from: flags and environment.
import { parseArgs } from "node:util";
import { parseAddress } from "../probe/ip_address.ts";
import { databaseUrlProblem } from "./store/pg/database_url.ts";

/** node:util's error as one line naming the problem (its text goes on about positionals). */
function argumentError(e: Error & { code?: string }): string {
  switch (e.code) {
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
      return "--config needs a file";
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
    case "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL": {
      const arg = /'([^']*)'/.exec(e.message)?.[1] ?? "";
      return `unknown argument "${arg}" (the only flag is --config FILE)`;
    }
    default:
      return e.message.split(/\n|\. /)[0];
  }
}

export interface MainOptions {
  port: number;
  /** Address to listen on; default 127.0.0.1 (loopback only). */
  hostname: string;
  /** Deno KV path; ":memory:" keeps nothing. */
  kvPath: string;
  /** YAML config file, or undefined for the embedded default. */
  configFile?: string;
  /** PLA_DATABASE_URL: PostgreSQL instead of the KV file (wins over the config's database_url). */
  databaseUrl?: string;
}

/** `--config FILE` (or `--config=FILE`) wins over PLA_CONFIG; HOST, PORT, PLA_KV and PLA_DATABASE_URL from the environment. */
export function mainOptions(
  args: string[],
  env: (name: string) => string | undefined,
): MainOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: { config: { type: "string" } },
    }));
  } catch (e) {
    throw new Error(argumentError(e as Error & { code?: string }));
  }
  if (values.config === "") throw new Error("--config needs a file");
  const configFile = values.config ?? (env("PLA_CONFIG") || undefined);
  const portText = env("PORT") || "8080";
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`PORT: not a port number: "${portText}"`);
  }
  const hostname = env("HOST") || "127.0.0.1";
  if (!parseAddress(hostname) && hostname !== "localhost") {
    throw new Error(
      `HOST: not an IP address to listen on: "${hostname.slice(0, 100)}"`,
    );
  }
  const databaseUrl = env("PLA_DATABASE_URL") || undefined;
  const why = databaseUrl && databaseUrlProblem(databaseUrl);
  if (why) throw new Error(`PLA_DATABASE_URL: ${why}`);
  return {
    port,
    hostname,
    kvPath: env("PLA_KV") || "./data/pla.kv",
    configFile,
    ...(databaseUrl ? { databaseUrl } : {}),
  };
}
