// Builds the native shim when it is missing or older than its sources.
// Run by `deno task build`, which `start`, `test` and `probe` depend on.
import { shimHeader, shimLibraryPath, shimSource } from "./library_path.ts";

const CFLAGS = ["-O2", "-Wall", "-Wextra", "-shared", "-fPIC"];

async function mtime(path: string): Promise<number> {
  try {
    return (await Deno.stat(path)).mtime?.getTime() ?? 0;
  } catch {
    return 0;
  }
}

/** Compiles `sources` into `output` with cc when needed; returns true when it ran. */
export async function compileIfStale(
  output: string,
  sources: string[],
  flags: string[],
): Promise<boolean> {
  const built = await mtime(output);
  const newest = Math.max(...await Promise.all(sources.map(mtime)));
  if (built > 0 && built >= newest) return false;
  const cSources = sources.filter((s) => s.endsWith(".c"));
  const cmd = new Deno.Command("cc", {
    args: [...flags, "-o", output, ...cSources],
    stdout: "inherit",
    stderr: "inherit",
  });
  let status: Deno.CommandStatus;
  try {
    status = await cmd.output();
  } catch (e) {
    throw new Error(
      `cannot run the C compiler 'cc' (${
        (e as Error).message
      }); install gcc or clang`,
    );
  }
  if (!status.success) throw new Error(`cc failed to build ${output}`);
  return true;
}

export function buildShim(): Promise<boolean> {
  return compileIfStale(shimLibraryPath(), [shimSource, shimHeader], CFLAGS);
}

if (import.meta.main) {
  try {
    if (await buildShim()) console.error(`built ${shimLibraryPath()}`);
  } catch (e) {
    console.error((e as Error).message);
    Deno.exit(1);
  }
}
