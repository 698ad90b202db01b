// The probe modules import each other without cycles (type-only imports
// included): each one can be read, tested and loaded on its own.
import assert from "node:assert/strict";

interface InfoModule {
  specifier: string;
  dependencies?: {
    code?: { specifier: string };
    type?: { specifier: string };
  }[];
}

/** Every cycle among the local modules reachable from `roots`, as paths. */
async function localCycles(roots: string[]): Promise<string[][]> {
  const modules: InfoModule[] = [];
  for (const root of roots) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", root],
      cwd: new URL(".", import.meta.url).pathname,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    modules.push(...JSON.parse(new TextDecoder().decode(out.stdout)).modules);
  }
  const edges = new Map<string, string[]>();
  for (const m of modules) {
    if (!m.specifier.startsWith("file:")) continue;
    edges.set(
      m.specifier,
      (m.dependencies ?? []).flatMap((d) =>
        [d.code?.specifier, d.type?.specifier].filter((s): s is string =>
          s?.startsWith("file:") ?? false
        )
      ),
    );
  }
  const cycles: string[][] = [];
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (s: string) => {
    state.set(s, "open");
    stack.push(s);
    for (const next of edges.get(s) ?? []) {
      if (state.get(next) === "open") {
        cycles.push(stack.slice(stack.indexOf(next)).concat(next));
      } else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(s, "done");
  };
  for (const s of edges.keys()) if (!state.has(s)) visit(s);
  const base = new URL("..", import.meta.url).href;
  return cycles.map((c) => c.map((s) => s.slice(base.length)));
}

Deno.test("no import cycle among the engine's and the CLI's modules", async () => {
  const cycles = await localCycles(["cli.ts", "engine.ts"]);
  assert.deepEqual(cycles, [], cycles.map((c) => c.join(" -> ")).join("\n"));
});
