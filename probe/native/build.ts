// Builds the native shim when it is missing or older than its sources, and is
// the one compile-if-stale step for every C program of the project (the test
// bed's responder and echo client, the ASan self-test).
// Run by `deno task build:shim` (part of `deno task build`, which `start` and
// `test` depend on; `probe` depends on `build:shim` alone).
import {
  shimHeader,
  shimLibraryPath,
  shimSource,
  tcpHeader,
  tcpSource,
  wireHeader,
} from "./library_path.ts";

/** This file: it holds the flags, so editing it rebuilds everything. */
const BUILD_SCRIPT = new URL(import.meta.url).pathname;

/**
 * Warnings are errors; glibc's buffer-overflow checks on. `-U` first: some
 * distributions predefine _FORTIFY_SOURCE and a redefinition would be a
 * warning, hence an error.
 */
export const STRICT_CFLAGS: readonly string[] = [
  "-std=gnu11",
  "-O2",
  "-Wall",
  "-Wextra",
  "-Werror",
  "-U_FORTIFY_SOURCE",
  "-D_FORTIFY_SOURCE=2",
];

/** The shim: only the symbols marked PLA_EXPORT in pla_icmp.h are visible. */
const SHIM_CFLAGS = [
  ...STRICT_CFLAGS,
  "-fvisibility=hidden",
  "-shared",
  "-fPIC",
];

/** The C compiler failed (its diagnostics are in the message). */
export class CompileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CompileError";
  }
}

async function mtime(path: string): Promise<number | null> {
  try {
    return (await Deno.stat(path)).mtime?.getTime() ?? 0;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

const inFlight = new Map<string, Promise<boolean>>();

/**
 * Compiles the `.c` files among `inputs` into `output` with cc when `output`
 * is missing or older than any input (headers and the scripts that hold the
 * flags belong in `inputs` too); returns true when it compiled. It compiles to
 * a private name and renames, so a concurrent reader (another test file, a
 * dlopen) never sees a half-written file; calls for the same output in one
 * process share one compile.
 */
export function compileIfStale(
  output: string,
  inputs: string[],
  flags: readonly string[],
): Promise<boolean> {
  let p = inFlight.get(output);
  if (!p) {
    p = compile(output, [...inputs, BUILD_SCRIPT], flags)
      .finally(() => inFlight.delete(output));
    inFlight.set(output, p);
  }
  return p;
}

async function compile(
  output: string,
  inputs: string[],
  flags: readonly string[],
): Promise<boolean> {
  const times = await Promise.all(inputs.map(mtime));
  const missing = inputs.filter((_, i) => times[i] === null);
  if (missing.length) {
    throw new CompileError(
      `cannot build ${output}: missing ${missing.join(", ")}`,
    );
  }
  const built = await mtime(output);
  if (built !== null && built >= Math.max(...times as number[])) return false;
  const tmp = `${output}.tmp-${Deno.pid}-${
    crypto.getRandomValues(new Uint32Array(1))[0].toString(16)
  }`;
  const args = [...flags, "-o", tmp, ...inputs.filter((s) => s.endsWith(".c"))];
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command("cc", {
      args,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (e) {
    throw new CompileError(
      `cannot run the C compiler 'cc' (${
        (e as Error).message
      }); install gcc or clang`,
    );
  }
  if (!out.success) {
    await Deno.remove(tmp).catch(() => {});
    const dec = new TextDecoder();
    throw new CompileError(
      `cc failed to build ${output}:\n${dec.decode(out.stdout)}${
        dec.decode(out.stderr)
      }`.trimEnd(),
    );
  }
  await Deno.rename(tmp, output);
  return true;
}

export function buildShim(): Promise<boolean> {
  return compileIfStale(
    shimLibraryPath(),
    [shimSource, shimHeader, wireHeader, tcpSource, tcpHeader],
    SHIM_CFLAGS,
  );
}

if (import.meta.main) {
  try {
    if (await buildShim()) console.error(`built ${shimLibraryPath()}`);
  } catch (e) {
    console.error((e as Error).message);
    Deno.exit(1);
  }
}
