// The struct layout and numbers shared with the shim are written in C
// (pla_icmp.h, pinned by _Static_assert) and in TypeScript (shim_layout.ts);
// these tests fail when the two differ, and show that each side's check
// names what differs.
import assert from "node:assert/strict";
import { compileIfStale } from "./build.ts";
import { nativeDir, shimHeader, shimLibraryPath } from "./library_path.ts";
import {
  expectedLayout,
  layoutMismatches,
  parseLayout,
} from "./shim_layout.ts";
import { verifyShimLibrary } from "../icmp_socket.ts";
import {
  ERRNO,
  errnoCode,
  ShimError,
  ShimLayoutError,
  ShimLoadError,
} from "../icmp_errors.ts";
import { gate } from "../../testing/gate.ts";

/** The expected table as pla_layout() writes it. */
function expectedText(): string {
  return [...expectedLayout()].map(([k, v]) => `${k} ${v}\n`).join("");
}

async function ccMissing(): Promise<string | null> {
  try {
    const ok = (await new Deno.Command("cc", { args: ["--version"] }).output())
      .success;
    return ok ? null : "cc --version failed";
  } catch (e) {
    return `cannot run cc: ${(e as Error).message} (apt-get install gcc)`;
  }
}
const noCc = gate("shim layout build tests", await ccMissing());

Deno.test("the built shim was compiled with the layout of shim_layout.ts", () => {
  // Throws ShimLayoutError naming every difference.
  verifyShimLibrary(shimLibraryPath());
});

Deno.test("layoutMismatches names a changed, a missing and an extra entry", () => {
  assert.deepEqual(layoutMismatches(expectedText()), []);
  const doctored = expectedText()
    .replace("pla_event.seq 20 2 u16\n", "pla_event.seq 20 4 u32\n")
    .replace("errno.EPERM 1\n", "") +
    "pla_event.flags 64 1 u8\n";
  assert.deepEqual(layoutMismatches(doctored), [
    'pla_event.seq: the shim has "20 4 u32", TypeScript "20 2 u16"',
    'errno.EPERM: not in the shim (TypeScript has "1")',
    'pla_event.flags: only in the shim ("64 1 u8")',
  ]);
  assert.equal(layoutMismatches("").length, expectedLayout().size);
  assert.equal(parseLayout("a 1\nb 2 3 u8\n\n").get("b"), "2 3 u8");
});

Deno.test("every errno the shim lists has a name and a typed error", () => {
  for (const [name, n] of Object.entries(ERRNO)) {
    const e = new ShimError("op", -n);
    assert.equal(e.code, name);
    assert.equal(e.errno, n);
    assert.equal(e.message, `op failed: ${name}`);
  }
  assert.equal(errnoCode(-4095), "errno 4095");
  const layout = new ShimLayoutError("/x.so", ["pla_event.seq: differs"]);
  assert.ok(layout instanceof ShimLoadError);
  assert.match(layout.message, /pla_event\.seq: differs/);
  assert.deepEqual(layout.mismatches, ["pla_event.seq: differs"]);
});

Deno.test({
  name: "the loader refuses a library compiled with another layout, naming it",
  ignore: noCc,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      // The real shim, whose pla_layout reports `seq` as signed.
      const src = `${dir}/wrong_layout.c`;
      await Deno.writeTextFile(
        src,
        `#define pla_layout pla_layout_real
#include "pla_icmp.c"
#undef pla_layout
PLA_EXPORT int32_t pla_layout(uint8_t *buf, uint32_t len);
int32_t pla_layout(uint8_t *buf, uint32_t len) {
  int32_t n = pla_layout_real(buf, len);
  char *at = n > 0 ? strstr((char *)buf, "pla_event.seq 20 2 u16") : NULL;
  if (at) memcpy(at, "pla_event.seq 20 2 i16", 22);
  return n;
}
`,
      );
      const lib = `${dir}/libwrong.so`;
      await compileIfStale(lib, [src, `${nativeDir}/pla_tcp.c`], [
        "-shared",
        "-fPIC",
        "-I",
        nativeDir,
      ]);
      assert.throws(
        () => verifyShimLibrary(lib),
        (e: unknown) =>
          e instanceof ShimLayoutError &&
          e.mismatches.length === 1 &&
          /pla_event\.seq: the shim has "20 2 i16", TypeScript "20 2 u16"/
            .test(e.message),
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "pla_icmp.h does not compile when a field the TypeScript side reads moves",
  ignore: noCc,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const header = await Deno.readTextFile(shimHeader);
      const compile = async (h: string) => {
        await Deno.writeTextFile(`${dir}/pla_icmp.h`, h);
        await Deno.writeTextFile(`${dir}/t.c`, '#include "pla_icmp.h"\n');
        const out = await new Deno.Command("cc", {
          args: ["-std=gnu11", "-fsyntax-only", `${dir}/t.c`],
          stderr: "piped",
        }).output();
        return {
          ok: out.success,
          stderr: new TextDecoder().decode(out.stderr),
        };
      };
      assert.ok((await compile(header)).ok, "the header as it is compiles");
      const wider = header.replace(
        /uint16_t seq;/,
        "uint32_t seq;",
      );
      assert.notEqual(wider, header);
      const r = await compile(wider);
      assert.ok(!r.ok, "a wider seq must not compile");
      assert.match(r.stderr, /pla_event\.seq size/);
      assert.match(r.stderr, /pla_event\.ident offset/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
