// Command-line flags of `deno task probe` to validated settings.
import { parseArgs } from "node:util";
import { type ProbeSettings, probeSettings } from "../model/probe.ts";
import { DEFAULT_MAX_HOPS, MAX_HOPS_LIMIT } from "../model/path.ts";
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
  /** Path mode (--path): settings.mode is "path" and settings.max_hops set. */
  path: boolean;
  /** Path mode: reverse DNS names for hop addresses (off with -n / --no-dns). */
  names: boolean;
  /** --ca-file: PEM CAs trusted by tls probes besides the system's. */
  caFile?: string;
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
  --size N           ICMP payload bytes (default 56, at least 18)
  --ttl N            IP TTL / IPv6 hop limit of the probes
  -4, -6             resolve host names to IPv4 / IPv6 only
  --report-every D   period of the cumulative interval reports (default 1s)
  --per-probe        also report every probe (JSON output)
  --output F         text (default: live lines like ping, then a table) or json (NDJSON)
  -h, --help         this text

Path analysis (mtr-like), one path per --host:
  --path             probe every hop up to the host (TTL 1, 2, ...); --count N
                     and --duration D count rounds, each probing every hop once;
                     text: an mtr-like table (refreshed live on a terminal);
                     json: hop records every --report-every, route_change
                     records as they happen, one path record per host at the end
  --max-hops N       highest hop probed (default ${DEFAULT_MAX_HOPS}, at most ${MAX_HOPS_LIMIT})
  -n, --no-dns       no reverse DNS names for hop addresses (like mtr -n)

Probe kinds (default: ICMP echo), one of:
  --tcp PORT         tcp-syn: a SYN, timed to the SYN-ACK or RST (needs CAP_NET_RAW)
  --tcp-connect PORT a full TCP connect(), closed at once (no privilege needed)
  --tls PORT         a TCP connect then a TLS handshake, timed in phases, with
                     the certificate checked (expired, untrusted or wrong name:
                     the probe is an error naming why)
  --ca-file FILE     with --tls: also trust the CAs in this PEM file

Durations: 500ms, 1s, 1.5m, 1h, or a bare number of seconds.
Exit status: 0 every target answered (--path: every destination reached),
1 some target never answered, 2 bad usage, 3 probing impossible (no ICMP
privilege, shim missing).`;

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

/** Parses argv; returns null for --help. Throws UsageError naming the problem. */
export function parseCliArgs(argv: string[]): CliOptions | null {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        host: { type: "string", multiple: true },
        interval: { type: "string" },
        count: { type: "string" },
        duration: { type: "string" },
        timeout: { type: "string" },
        size: { type: "string" },
        ttl: { type: "string" },
        linger: { type: "string" },
        "report-every": { type: "string" },
        "per-probe": { type: "boolean" },
        output: { type: "string" },
        help: { type: "boolean", short: "h" },
        "4": { type: "boolean" },
        "6": { type: "boolean" },
        path: { type: "boolean" },
        "max-hops": { type: "string" },
        "no-dns": { type: "boolean", short: "n" },
        tcp: { type: "string" },
        "tcp-connect": { type: "string" },
        tls: { type: "string" },
        "ca-file": { type: "string" },
      },
    });
  } catch (e) {
    // node:util's first sentence names the problem; the rest is about
    // positional arguments, which only confuses here.
    const first = (e as Error).message.split(/\n|\. /)[0].replace(/\.$/, "");
    const ambiguous = /^Option '(--[\w-]+)' argument is ambiguous$/.exec(first);
    throw new UsageError(
      ambiguous
        ? `${first} (write ${ambiguous[1]}=VALUE for a value starting with '-')`
        : first,
    );
  }
  const v = parsed.values;
  if (v.help) return null;
  const hosts = [...(v.host ?? []), ...parsed.positionals];
  if (hosts.length === 0) {
    throw new UsageError("no target: give at least one --host");
  }
  if (v["4"] && v["6"]) throw new UsageError("-4 and -6 exclude each other");
  const output = v.output ?? "text";
  if (output !== "text" && output !== "json") {
    throw new UsageError(`--output: '${output}' is not one of text, json`);
  }
  const raw: Record<string, unknown> = {
    interval_ms: duration(v.interval ?? "1s", "--interval"),
    timeout_ms: duration(v.timeout ?? "1s", "--timeout"),
    size: v.size === undefined ? 56 : int(v.size, "--size"),
  };
  if (v.count !== undefined) raw.count = int(v.count, "--count");
  if (v.duration !== undefined) {
    raw.duration_s = duration(v.duration, "--duration") / 1000;
  }
  if (v.ttl !== undefined) raw.ttl = int(v.ttl, "--ttl");
  const path = v.path ?? false;
  if (path) {
    if (v.ttl !== undefined) {
      throw new UsageError(
        "--ttl does not go with --path (each hop sets the TTL)",
      );
    }
    raw.mode = "path";
    raw.max_hops = v["max-hops"] === undefined
      ? DEFAULT_MAX_HOPS
      : int(v["max-hops"], "--max-hops");
  } else {
    if (v["max-hops"] !== undefined) {
      throw new UsageError("--max-hops needs --path");
    }
    if (v["no-dns"]) throw new UsageError("-n / --no-dns needs --path");
  }
  const kinds = (["tcp", "tcp-connect", "tls"] as const).filter((k) =>
    v[k] !== undefined
  );
  if (kinds.length > 1) {
    throw new UsageError(
      `--${kinds[0]} and --${
        kinds[1]
      } exclude each other (one probe kind a run)`,
    );
  }
  if (kinds.length === 1) {
    const flag = kinds[0];
    if (path) throw new UsageError(`--${flag} does not go with --path`);
    raw.probe = {
      kind: flag === "tcp" ? "tcp-syn" : flag,
      port: int(v[flag]!, `--${flag}`),
    };
  }
  if (v["ca-file"] !== undefined && v.tls === undefined) {
    throw new UsageError("--ca-file needs --tls");
  }
  if (raw.count !== undefined && raw.duration_s !== undefined) {
    throw new UsageError("--count and --duration exclude each other");
  }
  const checked = probeSettings.safeParse(raw);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    const flag = issue.path[0] === "probe" && kinds.length
      ? `--${kinds[0]}`
      : FLAG_OF[String(issue.path[0])] ?? String(issue.path[0]);
    throw new UsageError(`${flag}: ${issue.message}`);
  }
  const reportEveryMs = duration(v["report-every"] ?? "1s", "--report-every");
  if (reportEveryMs < 10) {
    throw new UsageError("--report-every: must be at least 10ms");
  }
  const lingerMs = duration(v.linger ?? DEFAULT_LINGER, "--linger");
  if (lingerMs > 60_000) throw new UsageError("--linger: must be at most 60s");
  return {
    hosts,
    settings: checked.data,
    reportEveryMs,
    lingerMs,
    perProbe: v["per-probe"] ?? false,
    output,
    family: v["4"] ? 4 : v["6"] ? 6 : undefined,
    path,
    names: path && !v["no-dns"],
    caFile: v["ca-file"],
  };
}

const FLAG_OF: Record<string, string> = {
  interval_ms: "--interval",
  timeout_ms: "--timeout",
  size: "--size",
  count: "--count",
  duration_s: "--duration",
  ttl: "--ttl",
  max_hops: "--max-hops",
  probe: "--tcp/--tcp-connect/--tls",
};
