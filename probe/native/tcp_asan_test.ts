// Builds pla_tcp.c into tcp_selftest.c under AddressSanitizer and UBSan and
// runs it: decoder fuzz, bad arguments, port reservation and (with
// CAP_NET_RAW) a loopback SYN round trip. Any sanitizer report or failed
// check fails the test.
import assert from "node:assert/strict";
import { nativeDir } from "./library_path.ts";
import { gate } from "../../testing/gate.ts";
import { runCommand } from "../../testing/run_command.ts";

const here = (f: string) =>
  decodeURIComponent(new URL(f, import.meta.url).pathname);
const SELFTEST = here("tcp_selftest.c");
const FLAGS = [
  "-fsanitize=address,undefined",
  "-fno-sanitize-recover=all",
  "-fno-omit-frame-pointer",
  "-g",
  "-O1",
  "-Wall",
  "-Wextra",
  "-Werror",
  "-std=gnu11",
  "-I",
  nativeDir,
];

async function unavailable(): Promise<string | null> {
  if (Deno.build.os !== "linux") {
    return `needs Linux (this is ${Deno.build.os})`;
  }
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/t.c`, "int main(void) { return 0; }\n");
    const r = await runCommand("cc", [
      ...FLAGS,
      "-o",
      `${dir}/t`,
      `${dir}/t.c`,
    ]);
    return r.code === 0
      ? null
      : `cc cannot link with -fsanitize=address (install gcc's libasan/libubsan)`;
  } catch (e) {
    return `cannot run cc: ${(e as Error).message}`;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name:
    "pla_tcp under AddressSanitizer/UBSan: decoder fuzz, bad arguments, port reservation, loopback SYN round trip",
  ignore: gate("ASan tcp self-test", await unavailable()),
  async fn() {
    // tcp_selftest.c includes pla_tcp.c (its decoder is static): one
    // translation unit, built fresh into a temporary directory each run.
    const dir = await Deno.makeTempDir({ prefix: "pla-tcp-selftest-" });
    const bin = `${dir}/tcp_selftest`;
    const built = await runCommand("cc", [...FLAGS, "-o", bin, SELFTEST]);
    assert.equal(built.code, 0, built.stderr);
    const r = await runCommand(bin, [String(Date.now() % 2 ** 31)], {
      env: {
        ASAN_OPTIONS: "halt_on_error=1:detect_leaks=1",
        UBSAN_OPTIONS: "halt_on_error=1:print_stacktrace=1",
      },
    });
    const report = /(Address|Undefined|Leak)Sanitizer|runtime error:/.test(
      r.stderr,
    );
    assert.ok(r.code === 0 && !report, `tcp self-test failed:\n${r.stderr}`);
    assert.match(r.stderr, /tcp selftest: ok/);
    // As root (CI) the round trip ran: 20 SYNs, 20 answers.
    assert.match(
      r.stderr,
      /tcp round trip: 20\/20 answered|tcp round trip skipped: no CAP_NET_RAW/,
    );
    await Deno.remove(dir, { recursive: true });
  },
});
