// `deno task probe`: probes hosts and streams what it measures, as text or NDJSON.
import { parseCliArgs, USAGE, UsageError } from "./cli_args.ts";
import { Engine, type ProbeRun } from "./engine.ts";
import { ShimLoadError } from "./icmp_errors.ts";
import { flush, iso, out, startFailure } from "./cli_output.ts";
import { pathMain } from "./path/path_cli.ts";
import { DEVICE_USAGE, deviceMain } from "./device/device_cli.ts";
import { formatTable, probeLine } from "./text_report.ts";
import type { ProbeRecord, TargetStats } from "../model/probe.ts";

function reportIntervals(
  run: ProbeRun,
  type: "interval" | "summary",
  stats: TargetStats[] = run.targets.map((_, i) => run.stats(i)),
): void {
  const now = Date.now();
  // TCP and TLS runs: every report names the kind and port too.
  const probe = run.settings.probe;
  const kind = probe && probe.kind !== "icmp"
    ? { kind: probe.kind, port: probe.port }
    : {};
  run.targets.forEach((t, i) => {
    out(JSON.stringify({
      type,
      timestamp: iso(now),
      target: t.target,
      address: t.address,
      ...kind,
      ...stats[i],
    }));
  });
}

/** Runs the CLI; returns the exit status. */
export async function main(argv: string[]): Promise<number> {
  // A device test needs no ICMP: its own flags and client.
  if (argv.some((a) => a === "--device" || a.startsWith("--device="))) {
    return await deviceMain(argv);
  }
  let opts;
  try {
    opts = parseCliArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`probe: ${e.message} (see --help)`);
    return 2;
  }
  if (!opts) {
    console.log(`${USAGE}\n\n${DEVICE_USAGE}`);
    return 0;
  }
  let engine: Engine;
  try {
    engine = Engine.create();
  } catch (e) {
    if (!(e instanceof ShimLoadError)) throw e;
    console.error(`probe: ${e.message}`);
    return 3;
  }
  if (opts.path) return await pathMain(engine, opts);
  if (opts.caFile !== undefined) {
    try {
      await engine.kinds.trustCa(await Deno.readTextFile(opts.caFile));
    } catch (e) {
      console.error(`probe: --ca-file: cannot read ${opts.caFile}: ${e}`);
      await engine.close();
      return 2;
    }
  }
  const json = opts.output === "json";
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
    return startFailure(e);
  }
  if (!json) {
    const kind = opts.settings.probe;
    for (const t of run.targets) {
      out(
        kind
          ? `${kind.kind.toUpperCase()} ${t.target} (${t.address}) port ${kind.port}, every ${opts.settings.interval_ms} ms`
          : `PING ${t.target} (${t.address}) ${opts.settings.size} bytes of data, every ${opts.settings.interval_ms} ms`,
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
