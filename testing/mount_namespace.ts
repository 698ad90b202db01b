// TEST-ONLY: runs a command in a private mount namespace after a setup
// script (tmpfs or bind mounts), so tests can change what one server process
// sees of the file system without touching the host's. Needs root.

import { runCommand } from "./run_command.ts";

/** null when private mount namespaces can be made here; otherwise why not. */
export async function mountNamespaceUnavailable(): Promise<string | null> {
  if (Deno.build.os !== "linux") return "needs Linux";
  try {
    const id = await runCommand("id", ["-u"]);
    if (id.stdout.trim() !== "0") return "needs root";
    const probe = await runCommand("unshare", [
      "-m",
      "--propagation",
      "private",
      "true",
    ]);
    if (probe.code !== 0) return "unshare -m (mount namespaces) not permitted";
    return null;
  } catch (e) {
    return `cannot run id/unshare: ${(e as Error).message}`;
  }
}

/**
 * A command-line wrapper: `setup` (sh, with `args` as $1...) runs in a new
 * private mount namespace, then the wrapped command replaces it (same pid).
 */
export function inMountNamespace(setup: string, args: string[] = []) {
  return (cmd: string[]) => [
    "unshare",
    "-m",
    "--propagation",
    "private",
    "sh",
    "-c",
    `${setup} && shift ${args.length} && exec "$@"`,
    "sh",
    ...args,
    ...cmd,
  ];
}

/** The wrapper that mounts a fresh tmpfs of `options` (e.g. "size=8m") on `dir`. */
export function onTmpfs(dir: string, options: string) {
  return inMountNamespace(`mount -t tmpfs -o "$1" pla-test "$2"`, [
    options,
    dir,
  ]);
}
