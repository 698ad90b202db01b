// The Deno permissions (and V8 flags) of the project's tasks, read from deno.json: the one
// list behind `deno task start`, the Dockerfile's CMD (tests/deploy_test.ts
// checks it grants the same) and every test or benchmark that spawns
// server/main.ts (or probe/cli.ts) itself.
const ROOT = new URL("..", import.meta.url).pathname;

/** The command line of a deno.json task. */
export function taskCommand(task: string): string {
  const tasks = JSON.parse(Deno.readTextFileSync(`${ROOT}deno.json`)).tasks;
  const t = tasks[task];
  if (t === undefined) throw new Error(`deno.json has no task "${task}"`);
  return typeof t === "string" ? t : t.command;
}

const absolute = (p: string) => new URL(p, `file://${ROOT}`).pathname;

/**
 * The task's `--allow-*` flags for a process started from anywhere: relative
 * paths made absolute (from the project directory), `read` added to the
 * readable paths, and the writable paths replaced by `write` when given (an
 * empty list: no write permission at all).
 */
export function taskPermissions(
  task: string,
  { read = [], write }: { read?: string[]; write?: string[] } = {},
): string[] {
  return taskCommand(task).split(/\s+/).filter((w) => w.startsWith("--allow-"))
    .flatMap((flag) => {
      const eq = flag.indexOf("=");
      const name = eq < 0 ? flag : flag.slice(0, eq);
      if (name !== "--allow-read" && name !== "--allow-write") return [flag];
      if (name === "--allow-write" && write) {
        return write.length ? [`${name}=${write.join(",")}`] : [];
      }
      if (eq < 0) return [flag]; // every path already
      const paths = flag.slice(eq + 1).split(",").map(absolute);
      if (name === "--allow-read") paths.push(...read);
      return [`${name}=${paths.join(",")}`];
    });
}

/** The task's `--v8-flags` values (comma-separated), or "" when it has none. */
export function taskV8Flags(task: string): string {
  return taskCommand(task).split(/\s+/)
    .filter((w) => w.startsWith("--v8-flags="))
    .map((w) => w.slice("--v8-flags=".length)).join(",");
}

/**
 * `deno run` with the start task's permissions and V8 flags (`v8Flags` added
 * to them) and server/main.ts: argv without the executable.
 */
export function startArgs(
  opts: { read?: string[]; write?: string[]; v8Flags?: string } = {},
): string[] {
  const v8 = [taskV8Flags("start"), opts.v8Flags].filter((f) => f).join(",");
  return [
    "run",
    ...taskPermissions("start", opts),
    ...(v8 ? [`--v8-flags=${v8}`] : []),
    "server/main.ts",
  ];
}
