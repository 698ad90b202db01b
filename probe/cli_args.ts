// Command-line flags of `deno task probe` to validated settings. Plain code
// on purpose: node:util's parseArgs and zod (model/probe.ts) cost the CLI
// a third of its start-up (~45 ms CPU). checkProbeSettings applies the
// probeSettings schema's rules with its messages; cli_args_test.ts holds the
// two equal.
import type { ProbeSettings } from "../model/probe.ts";
import { parseDuration } from "./duration.ts";
import type { Family } from "./ip_address.ts";

export interface CliOptions {
  hosts: string[];
  settings: ProbeSettings;
  reportEveryMs: number;
  /** How long a target listens after its last probe's outcome (RunOptions.lingerMs). */
  lingerMs: number;
  perProbe: boolean;
  output: "text" | "json";
  family?: Family;
}

export const USAGE =
  `Usage: deno task probe --host HOST [--host HOST ...] [options]

  --host H           target host name or IP address (repeat for several)
  --interval D       time between probes per target (default 1s; at least 1ms)
  --count N          probes per target
  --duration D       how long to probe (probes = ceil(duration / interval))
                     without --count or --duration it runs until Ctrl-C
  --timeout D        a reply later than this is late and counts as lost (default 1s)
  --linger D         once every probe of a target has its outcome (reply, error
                     or timeout), keep counting its duplicates and late replies
                     this long, then end (default 10ms; at most 60s)
  --size N           ICMP payload bytes (default 56, at least 16)
  --ttl N            IP TTL / IPv6 hop limit of the probes
  -4, -6             resolve host names to IPv4 / IPv6 only
  --report-every D   period of the cumulative interval reports (default 1s)
  --per-probe        also report every probe (JSON output)
  --output F         text (default: live lines like ping, then a table) or json (NDJSON)
  -h, --help         this text

Durations: 500ms, 1s, 1.5m, 1h, or a bare number of seconds.
Exit status: 0 every target answered, 1 some target never answered,
2 bad usage, 3 probing impossible (no ICMP privilege, shim missing).`;

/**
 * Duplicates trail the reply they copy by well under a millisecond to a few
 * (a duplicating link, a misbehaving switch or bond): 10 ms catches them at
 * a cost no one notices, where waiting for the last probe's timeout (the
 * engine's default, kept by the service) made every CLI run a timeout longer.
 */
const DEFAULT_LINGER = "10ms";

/** A usage error: one line for stderr, exit status 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

function int(text: string, what: string): number {
  if (!/^[0-9]+$/.test(text.trim())) {
    throw new UsageError(`${what}: '${text}' is not a whole number`);
  }
  return Number(text);
}

function duration(text: string, what: string): number {
  try {
    return parseDuration(text, what);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

type Kind = "string" | "strings" | "boolean";
const OPTIONS: Record<string, Kind> = {
  host: "strings",
  interval: "string",
  count: "string",
  duration: "string",
  timeout: "string",
  linger: "string",
  size: "string",
  ttl: "string",
  "report-every": "string",
  "per-probe": "boolean",
  output: "string",
  help: "boolean",
  "4": "boolean",
  "6": "boolean",
};
const SHORT: Record<string, string> = { h: "help", "4": "4", "6": "6" };

interface Parsed {
  values: Record<string, string | boolean | undefined>;
  /** --host values, then positional arguments. */
  hosts: string[];
}

/**
 * --name value, --name=value, -h -4 -6 (also grouped), positional hosts,
 * and `--` before hosts that start with a dash; the messages are those of
 * node:util's parseArgs (strict), first sentence, as before.
 */
function parseFlags(argv: string[]): Parsed {
  const values: Parsed["values"] = {};
  const hosts: string[] = [];
  const positionals: string[] = [];
  const set = (name: string, value: string | boolean) => {
    if (name === "host") hosts.push(value as string);
    else values[name] = value;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = arg.slice(2, eq < 0 ? undefined : eq);
      const kind = OPTIONS[name];
      if (!kind) throw new UsageError(`Unknown option '--${name}'`);
      if (kind === "boolean") {
        if (eq >= 0) {
          throw new UsageError(`Option '--${name}' does not take an argument`);
        }
        set(name, true);
      } else if (eq >= 0) set(name, arg.slice(eq + 1));
      else {
        const value = argv[i + 1];
        if (value === undefined) {
          throw new UsageError(`Option '--${name} <value>' argument missing`);
        }
        if (value.startsWith("-") && value !== "-") {
          throw new UsageError(
            `Option '--${name}' argument is ambiguous (write --${name}=${value} if you mean it)`,
          );
        }
        set(name, value);
        i++;
      }
    } else if (arg.startsWith("-") && arg !== "-") {
      for (const c of arg.slice(1)) {
        const name = SHORT[c];
        if (!name) throw new UsageError(`Unknown option '-${c}'`);
        set(name, true);
      }
    } else positionals.push(arg);
  }
  return { values, hosts: [...hosts, ...positionals] };
}

/** A number field of ProbeSettings: its bounds and messages, as in model/probe.ts. */
interface NumberRule {
  key: keyof ProbeSettings;
  type: string;
  int?: string;
  min: number;
  /** Strictly above `min` (zod's positive()). */
  above?: boolean;
  tooSmall: string;
  max: number;
  tooLarge: string;
}

// In probeSettings' field order: its first issue is the first rule broken.
const RULES: NumberRule[] = [
  {
    key: "interval_ms",
    type: "interval must be a number of milliseconds",
    min: 1,
    tooSmall: "interval must be at least 1 ms",
    max: 3_600_000,
    tooLarge: "interval must be at most 1 h (3600000 ms)",
  },
  {
    key: "count",
    type: "count must be a whole number",
    int: "count must be a whole number",
    min: 1,
    tooSmall: "count must be at least 1",
    max: 100_000_000,
    tooLarge: "count must be at most 100000000",
  },
  {
    key: "duration_s",
    type: "duration must be a number of seconds",
    min: 0,
    above: true,
    tooSmall: "duration must be positive",
    max: 31 * 86400,
    tooLarge: "duration must be at most 31 days (2678400 s)",
  },
  {
    key: "timeout_ms",
    type: "timeout must be a number of milliseconds",
    min: 1,
    tooSmall: "timeout must be at least 1 ms",
    max: 60_000,
    tooLarge: "timeout must be at most 60000 ms",
  },
  {
    key: "size",
    type: "size must be a whole number of bytes",
    int: "size must be a whole number of bytes",
    min: 16,
    tooSmall: "size must be at least 16 bytes",
    max: 65_000,
    tooLarge: "size must be at most 65000 bytes",
  },
  {
    key: "ttl",
    type: "ttl must be a whole number from 1 to 255",
    int: "ttl must be a whole number from 1 to 255",
    min: 1,
    tooSmall: "ttl must be from 1 to 255",
    max: 255,
    tooLarge: "ttl must be from 1 to 255",
  },
];
const REQUIRED = new Set(["interval_ms", "timeout_ms", "size"]);

/**
 * probeSettings.safeParse for numbers, without zod: the settings, or the
 * first issue as [field, message].
 */
export function checkProbeSettings(
  raw: Record<string, number | undefined>,
): { data: ProbeSettings } | { issue: [string, string] } {
  for (const r of RULES) {
    const v = raw[r.key];
    if (v === undefined) {
      if (REQUIRED.has(r.key)) return { issue: [r.key, r.type] };
      continue;
    }
    let why: string | undefined;
    if (typeof v !== "number" || !Number.isFinite(v)) why = r.type;
    else if (r.int && !Number.isInteger(v)) why = r.int;
    else if (r.above ? v <= r.min : v < r.min) why = r.tooSmall;
    else if (v > r.max) why = r.tooLarge;
    if (why) return { issue: [r.key, why] };
  }
  const data: Record<string, number> = {};
  for (const r of RULES) {
    if (raw[r.key] !== undefined) data[r.key] = raw[r.key]!;
  }
  return { data: data as unknown as ProbeSettings };
}

/** Parses argv; returns null for --help. Throws UsageError naming the problem. */
export function parseCliArgs(argv: string[]): CliOptions | null {
  const { values: v, hosts } = parseFlags(argv);
  const text = (name: string) => v[name] as string | undefined;
  if (v.help) return null;
  if (hosts.length === 0) {
    throw new UsageError("no target: give at least one --host");
  }
  if (v["4"] && v["6"]) throw new UsageError("-4 and -6 exclude each other");
  const output = text("output") ?? "text";
  if (output !== "text" && output !== "json") {
    throw new UsageError(`--output: '${output}' is not one of text, json`);
  }
  const raw: Record<string, number | undefined> = {
    interval_ms: duration(text("interval") ?? "1s", "--interval"),
    timeout_ms: duration(text("timeout") ?? "1s", "--timeout"),
    size: text("size") === undefined ? 56 : int(text("size")!, "--size"),
  };
  if (text("count") !== undefined) raw.count = int(text("count")!, "--count");
  if (text("duration") !== undefined) {
    raw.duration_s = duration(text("duration")!, "--duration") / 1000;
  }
  if (text("ttl") !== undefined) raw.ttl = int(text("ttl")!, "--ttl");
  if (raw.count !== undefined && raw.duration_s !== undefined) {
    throw new UsageError("--count and --duration exclude each other");
  }
  const checked = checkProbeSettings(raw);
  if ("issue" in checked) {
    const [field, message] = checked.issue;
    throw new UsageError(`${FLAG_OF[field] ?? field}: ${message}`);
  }
  const reportEveryMs = duration(
    text("report-every") ?? "1s",
    "--report-every",
  );
  if (reportEveryMs < 10) {
    throw new UsageError("--report-every: must be at least 10ms");
  }
  const lingerMs = duration(text("linger") ?? DEFAULT_LINGER, "--linger");
  if (lingerMs > 60_000) throw new UsageError("--linger: must be at most 60s");
  return {
    hosts,
    settings: checked.data,
    reportEveryMs,
    lingerMs,
    perProbe: v["per-probe"] === true,
    output,
    family: v["4"] ? 4 : v["6"] ? 6 : undefined,
  };
}

const FLAG_OF: Record<string, string> = {
  interval_ms: "--interval",
  timeout_ms: "--timeout",
  size: "--size",
  count: "--count",
  duration_s: "--duration",
  ttl: "--ttl",
};
