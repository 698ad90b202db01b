// `deno task probe`: probes hosts and streams what it measures, as text or NDJSON.
import { parseCliArgs, USAGE, UsageError } from "./cli_args.ts";
import { Engine, type ProbeRun } from "./engine.ts";
import { HostResolveError } from "./resolve_target.ts";
import { IcmpPermissionError, ShimLoadError } from "./icmp_errors.ts";
import { formatTable, probeLine } from "./text_report.ts";
import type { ProbeRecord, TargetStats } from "../model/probe.ts";

// Output is collected and written once per turn of the event loop: the
// engine reports many probes in one pass (a thousand targets: ~20 a pass),
// and one write a line made writes the CLI's largest cost after sending.
const encoder = new TextEncoder();
let buffered = "";
let flushQueued = false;

function out(line: string): void {
  buffered += line + "\n";
  if (buffered.length >= 1 << 16) flush();
  else if (!flushQueued) {
    flushQueued = true;
    queueMicrotask(flush);
  }
}

function flush(): void {
  flushQueued = false;
  if (buffered === "") return;
  const bytes = encoder.encode(buffered);
  buffered = "";
  for (let n = 0; n < bytes.length;) {
    n += Deno.stdout.writeSync(bytes.subarray(n));
  }
}

const iso = (ms: number) => new Date(ms).toISOString();

function reportIntervals(
  run: ProbeRun,
  type: "interval" | "summary",
  stats: TargetStats[] = run.targets.map((_, i) => run.stats(i)),
): void {
  const now = Date.now();
  run.targets.forEach((t, i) => {
    out(JSON.stringify({
      type,
      timestamp: iso(now),
      target: t.target,
      address: t.address,
      ...stats[i],
    }));
  });
}

/** Runs the CLI; returns the exit status. */
export async function main(argv: string[]): Promise<number> {
  let opts;
  try {
    opts = parseCliArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`probe: ${e.message} (see --help)`);
    return 2;
  }
  if (!opts) {
    console.log(USAGE);
    return 0;
  }
  const json = opts.output === "json";
  let engine: Engine;
  try {
    engine = Engine.create();
  } catch (e) {
    if (!(e instanceof ShimLoadError)) throw e;
    console.error(`probe: ${e.message}`);
    return 3;
  }
  const onProbe = json
    ? (opts.perProbe
      ? (r: ProbeRecord) =>
        out(JSON.stringify({ type: "probe", timestamp: iso(r.sent_at), ...r }))
      : undefined)
    : (r: ProbeRecord) => out(probeLine(r, opts.settings));
  let run: ProbeRun;
  try {
    run = await engine.run(
      opts.hosts.map((h) => ({ target: h, host: h })),
      opts.settings,
      { onProbe, family: opts.family, lingerMs: opts.lingerMs },
    );
  } catch (e) {
    await engine.close();
    if (e instanceof HostResolveError) {
      console.error(`probe: ${e.message}`);
      return 2;
    }
    if (e instanceof IcmpPermissionError) {
      console.error(`probe: ${e.message}`);
      return 3;
    }
    throw e;
  }
  if (!json) {
    for (const t of run.targets) {
      out(
        `PING ${t.target} (${t.address}) ${opts.settings.size} bytes of data, every ${opts.settings.interval_ms} ms`,
      );
    }
  }
  const stop = () => run.stop();
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  const timer = json
    ? setInterval(() => reportIntervals(run, "interval"), opts.reportEveryMs)
    : undefined;
  await run.done;
  clearInterval(timer);
  Deno.removeSignalListener("SIGINT", stop);
  Deno.removeSignalListener("SIGTERM", stop);
  const finals = run.targets.map((_, i) => run.stats(i));
  if (json) reportIntervals(run, "summary", finals);
  else out(formatTable(run.targets, finals));
  flush();
  await engine.close();
  return finals.every((s) => s.received > 0) ? 0 : 1;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
