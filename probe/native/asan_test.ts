// Builds the shim together with shim_selftest.c under AddressSanitizer and
// UBSan and runs it: decoder fuzz loop, bad arguments, loopback echo round
// trip. Any sanitizer report or failed check fails the test.
import assert from "node:assert/strict";
import { shimSource } from "./library_path.ts";

const SELFTEST = new URL("shim_selftest.c", import.meta.url).pathname;
const FLAGS = [
  "-fsanitize=address,undefined",
  "-fno-sanitize-recover=all",
  "-fno-omit-frame-pointer",
  "-g",
  "-O1",
  "-Wall",
  "-Wextra",
  "-Werror",
];
const SAN_ENV = {
  ASAN_OPTIONS: "halt_on_error=1:detect_leaks=1:abort_on_error=0",
  UBSAN_OPTIONS: "halt_on_error=1:print_stacktrace=1",
};

async function cc(args: string[]): Promise<Deno.CommandOutput> {
  return await new Deno.Command("cc", {
    args,
    stdout: "piped",
    stderr: "piped",
  })
    .output();
}

/** null when cc can build and link sanitized programs here; otherwise why not. */
async function sanitizerUnavailable(): Promise<string | null> {
  if (Deno.build.os !== "linux") {
    return `needs Linux (this is ${Deno.build.os})`;
  }
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/t.c`, "int main(void) { return 0; }\n");
    const out = await cc([...FLAGS, "-o", `${dir}/t`, `${dir}/t.c`]);
    if (!out.success) {
      return `cc cannot link with -fsanitize=address,undefined (install gcc's libasan/libubsan): ${
        new TextDecoder().decode(out.stderr).trim().split("\n")[0]
      }`;
    }
    return null;
  } catch (e) {
    return `cannot run cc: ${(e as Error).message}`;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const reason = await sanitizerUnavailable();
if (reason) console.log(`ASan shim self-test skipped: ${reason}`);

async function runSelftest(
  bin: string,
  seed: number,
  asan: string,
): Promise<{ code: number; stderr: string }> {
  const out = await new Deno.Command(bin, {
    args: [String(seed)],
    env: { ...SAN_ENV, ASAN_OPTIONS: asan },
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

Deno.test({
  name:
    "shim under AddressSanitizer/UBSan: decoder fuzz, bad arguments, loopback round trip",
  ignore: reason !== null,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const bin = `${dir}/shim_selftest`;
      const built = await cc([...FLAGS, "-o", bin, SELFTEST, shimSource]);
      assert.ok(
        built.success,
        `cc failed:\n${new TextDecoder().decode(built.stderr)}`,
      );
      const seed = Date.now() % 2 ** 31;
      let run = await runSelftest(bin, seed, SAN_ENV.ASAN_OPTIONS);
      // LeakSanitizer cannot run under ptrace (debuggers, some sandboxes): it
      // says so and stops. Keep every other check rather than give up.
      if (
        /LeakSanitizer has encountered a fatal error|does not work under ptrace/
          .test(run.stderr)
      ) {
        console.log(
          "LeakSanitizer unavailable here (ptrace); rerunning with detect_leaks=0",
        );
        run = await runSelftest(
          bin,
          seed,
          SAN_ENV.ASAN_OPTIONS.replace("detect_leaks=1", "detect_leaks=0"),
        );
      }
      const report = /(Address|Undefined|Leak)Sanitizer|runtime error:/.test(
        run.stderr,
      );
      assert.ok(
        run.code === 0 && !report,
        `shim self-test failed (exit ${run.code}, seed ${seed}):\n${run.stderr}`,
      );
      assert.match(run.stderr, /selftest: ok/);
      // Where ICMP sockets open, the round trip really ran.
      assert.match(
        run.stderr,
        /IPv4 (raw|ping) socket: 20\/20|IPv4 socket unavailable/,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
