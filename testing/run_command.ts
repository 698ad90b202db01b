// The one way tests, the test bed and the benchmarks run a command to
// completion and read what it printed.

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
  /** Wall time from spawn to exit, ms. */
  wallMs: number;
}

export interface CommandOptions {
  cwd?: string;
  /** Added to this process's environment (or, with clearEnv, the whole of it). */
  env?: Record<string, string>;
  clearEnv?: boolean;
  /** Ends the command (SIGTERM) when aborted, e.g. AbortSignal.timeout(ms). */
  signal?: AbortSignal;
}

/** Runs `cmd args` with no stdin; its exit code and output as text. */
export async function runCommand(
  cmd: string,
  args: string[],
  options: CommandOptions = {},
): Promise<CommandResult> {
  const t0 = performance.now();
  const out = await new Deno.Command(cmd, {
    args,
    cwd: options.cwd,
    env: options.env,
    clearEnv: options.clearEnv,
    signal: options.signal,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return {
    code: out.code,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
    wallMs: performance.now() - t0,
  };
}

/** As runCommand, but a non-zero exit throws with the command and its stderr; returns stdout. */
export async function mustRun(
  cmd: string,
  args: string[],
  options: CommandOptions = {},
): Promise<string> {
  const r = await runCommand(cmd, args, options);
  if (r.code !== 0) {
    throw new Error(
      `${cmd} ${args.join(" ")} failed (${r.code}): ${r.stderr.trim()}`,
    );
  }
  return r.stdout;
}
