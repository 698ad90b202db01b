// Runs a command under /usr/bin/time for its whole-process CPU and memory; the
// command runner itself is testing/run_command.ts, shared with the tests.
import { type CommandResult, runCommand } from "../testing/run_command.ts";

/** /usr/bin/time's report appended to stderr: user and system CPU seconds, wall. */
export const TIME_FORMAT = "PLA-TIME %U %S %e %M";

export interface TimedResult extends CommandResult {
  cpuSeconds: number;
  /** Max RSS, bytes. */
  maxRss: number;
}

/** Runs the command under /usr/bin/time (whole-process CPU incl. children). */
export async function runTimed(
  cmd: string,
  args: string[],
  options: { cwd?: string } = {},
): Promise<TimedResult> {
  const r = await runCommand(
    "/usr/bin/time",
    ["-f", TIME_FORMAT, cmd, ...args],
    options,
  );
  const m = /PLA-TIME ([\d.]+) ([\d.]+) ([\d.]+) (\d+)\s*$/.exec(r.stderr);
  if (!m) {
    throw new Error(`no timing from /usr/bin/time: ${r.stderr.slice(-300)}`);
  }
  return {
    ...r,
    stderr: r.stderr.slice(0, m.index),
    cpuSeconds: Number(m[1]) + Number(m[2]),
    maxRss: Number(m[4]) * 1024,
  };
}
