// `deno task probe --path`: one PathRun per host on the one engine, reported
// as NDJSON (hop records every report period, route changes as they happen,
// one path record per host at the end) or as an mtr-like table (redrawn in
// place on a terminal, printed once at the end otherwise).
import type { Engine } from "../engine.ts";
import type { CliOptions } from "../cli_args.ts";
import type { ProbeRecord } from "../../model/probe.ts";
import type { RouteChange } from "../../model/path.ts";
import { flush, iso, out, startFailure, write } from "../cli_output.ts";
import { type PathRun, startPath } from "./path_run.ts";
import { LOOKUP_TIMEOUT_MS, ReverseNames } from "./reverse_names.ts";
import { systemLookupService } from "./lookup_service.ts";
import { formatPathTable } from "./path_table.ts";
import { liveFrame } from "./live_screen.ts";

/** The live table is redrawn at the report period, but at most this often. */
const MIN_REDRAW_MS = 250;

function localHostName(): string {
  try {
    return Deno.hostname();
  } catch {
    return "localhost";
  }
}

function columns(): number {
  try {
    const c = Deno.consoleSize().columns;
    return c > 0 ? c : 80;
  } catch {
    return 80;
  }
}

/** Reverse lookups that keep track of those in flight, to wait for them at the end. */
function trackedNames(): {
  names: ReverseNames;
  settle: (deadlineMs: number) => Promise<void>;
} {
  const pending = new Set<Promise<unknown>>();
  const names = new ReverseNames((address) => {
    const p = systemLookupService(address);
    pending.add(p);
    p.then(() => pending.delete(p), () => pending.delete(p));
    return p;
  });
  const settle = async (deadlineMs: number) => {
    // Queued lookups start as others end: wait until none is left, or the deadline.
    const deadline = performance.now() + deadlineMs;
    while (pending.size > 0) {
      const left = deadline - performance.now();
      if (left <= 0) break;
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        Promise.allSettled([...pending]),
        new Promise((resolve) => timer = setTimeout(resolve, left)),
      ]);
      clearTimeout(timer);
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    names.close();
  };
  return { names, settle };
}

/** Runs path mode; returns the exit status. */
export async function pathMain(
  engine: Engine,
  opts: CliOptions,
): Promise<number> {
  const json = opts.output === "json";
  const live = !json && Deno.stdout.isTerminal();
  const dns = opts.names ? trackedNames() : undefined;
  const names = dns?.names;
  const onProbe = (r: ProbeRecord) => {
    // Start each answering address's name lookup as soon as it is seen.
    if (names && (r.status === "ok" || r.status === "late")) {
      names.name(r.from ?? r.address);
    }
    if (json && opts.perProbe) {
      out(JSON.stringify({ type: "probe", timestamp: iso(r.sent_at), ...r }));
    }
  };
  const onRouteChange = json
    ? (c: RouteChange) => out(JSON.stringify({ type: "route_change", ...c }))
    : undefined;
  const start = iso(Date.now());
  const paths: PathRun[] = [];
  try {
    for (const host of opts.hosts) {
      paths.push(
        await startPath(engine, { target: host, host }, opts.settings, {
          family: opts.family,
          lingerMs: opts.lingerMs,
          onProbe,
          onRouteChange,
          names,
        }),
      );
    }
  } catch (e) {
    names?.close();
    await engine.close(); // stops the paths already started
    return startFailure(e);
  }

  const localHost = localHostName();
  const tables = () =>
    paths.map((p) => formatPathTable(p.summary(), { localHost, start }))
      .join("\n\n");
  const hopRecords = () => {
    const now = Date.now();
    for (const p of paths) {
      for (const h of p.hops(now)) out(JSON.stringify({ type: "hop", ...h }));
    }
  };
  let shownRows = 0;
  const redraw = () => {
    const { frame, rows } = liveFrame(tables(), shownRows, columns());
    shownRows = rows;
    write(frame);
  };

  const stop = () => paths.forEach((p) => p.stop());
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  const timer = json
    ? setInterval(hopRecords, opts.reportEveryMs)
    : live
    ? setInterval(redraw, Math.max(MIN_REDRAW_MS, opts.reportEveryMs))
    : undefined;
  if (live) redraw();
  await Promise.all(paths.map((p) => p.done));
  clearInterval(timer);
  Deno.removeSignalListener("SIGINT", stop);
  Deno.removeSignalListener("SIGTERM", stop);
  await dns?.settle(LOOKUP_TIMEOUT_MS);

  if (json) {
    // The final cumulative hop records, then each path's verdict.
    hopRecords();
    const now = Date.now();
    for (const p of paths) {
      out(JSON.stringify({ type: "path", ...p.summary(now) }));
    }
  } else if (live) redraw();
  else out(tables());
  flush();
  await engine.close();
  return paths.every((p) => p.destinationHop !== null) ? 0 : 1;
}
