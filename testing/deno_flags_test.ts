import assert from "node:assert/strict";
import {
  startArgs,
  taskCommand,
  taskPermissions,
  taskV8Flags,
} from "./deno_flags.ts";

const ROOT = new URL("..", import.meta.url).pathname;

Deno.test("start task permissions: paths made absolute, extra read, write replaced", () => {
  const task = taskCommand("start").split(/\s+/).filter((w) =>
    w.startsWith("--allow-")
  );
  const names = (flags: string[]) => flags.map((f) => f.split("=")[0]);
  const plain = taskPermissions("start");
  assert.deepEqual(names(plain), names(task));
  for (const f of plain) {
    const [name, value] = f.split("=");
    if (name === "--allow-read" || name === "--allow-write") {
      assert.ok(value.split(",").every((p) => p.startsWith("/")), f);
    }
  }
  const dir = "/tmp/pla-x";
  const args = startArgs({ read: [dir], write: [dir] });
  assert.equal(args[0], "run");
  assert.equal(args.at(-1), "server/main.ts");
  assert.ok(args.includes(`--allow-read=${ROOT},${dir}`), args.join(" "));
  assert.ok(args.includes(`--allow-write=${dir}`), args.join(" "));
  assert.ok(
    !startArgs({ write: [] }).some((a) => a.startsWith("--allow-write")),
  );
  assert.throws(() => taskCommand("nope"), /no task "nope"/);
});

Deno.test("every module a deno.json task runs exists", async () => {
  const tasks = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`)).tasks;
  const missing: string[] = [];
  for (const name of Object.keys(tasks)) {
    // A task with only dependencies (build) has no command.
    for (const word of (taskCommand(name) ?? "").split(/\s+/)) {
      const path = word.replace(/^['"]|['"]$/g, "");
      if (!/^[\w./-]+\.tsx?$/.test(path)) continue;
      try {
        await Deno.stat(`${ROOT}${path}`);
      } catch {
        missing.push(`${name}: ${path}`);
      }
    }
  }
  assert.deepEqual(missing, []);
});

Deno.test("start task V8 flags: carried by startArgs, extra ones appended", () => {
  const v8 = taskV8Flags("start");
  assert.match(v8, /--max-semi-space-size=\d+/);
  assert.ok(startArgs().includes(`--v8-flags=${v8}`));
  assert.ok(
    startArgs({ v8Flags: "--trace-gc" }).includes(
      `--v8-flags=${v8},--trace-gc`,
    ),
  );
});

Deno.test("start task permissions allow reverse DNS (node:dns lookupService) for path tests", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pla-flags-" });
  try {
    const script = `${dir}/lookup.ts`;
    await Deno.writeTextFile(
      script,
      `import { systemLookupService } from "${ROOT}probe/path/lookup_service.ts";
try {
  console.log("name:", await systemLookupService("127.0.0.1"));
} catch (e) {
  console.log("error:", (e as Error).message);
}
`,
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--no-prompt",
        "--no-config",
        ...taskPermissions("start", { read: [dir], write: [] }),
        script,
      ],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    // Without --allow-net, getnameinfo is refused (EPERM).
    assert.match(text, /^name: /, text);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
