// Where the service takes its settings from: flags and environment.
import { parseAddress } from "../probe/ip_address.ts";
export interface MainOptions {
  port: number;
  /** Address to listen on; default 127.0.0.1 (loopback only). */
  hostname: string;
  /** Deno KV path; ":memory:" keeps nothing. */
  kvPath: string;
  /** YAML config file, or undefined for the embedded default. */
  configFile?: string;
}

/** `--config FILE` (or `--config=FILE`) wins over PLA_CONFIG; HOST, PORT and PLA_KV from the environment. */
export function mainOptions(
  args: string[],
  env: (name: string) => string | undefined,
): MainOptions {
  let configFile = env("PLA_CONFIG") || undefined;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--config") {
      if (i + 1 >= args.length) throw new Error("--config needs a file");
      configFile = args[++i];
    } else if (args[i].startsWith("--config=")) {
      configFile = args[i].slice("--config=".length);
    } else {
      throw new Error(`unknown argument "${args[i]}"`);
    }
  }
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
  return {
    port,
    hostname,
    kvPath: env("PLA_KV") || "./data/pla.kv",
    configFile,
  };
}
