// The layout's rules, checked on the source: no import cycles; browser code
// (islands/) imports no server-only module at run time; the probe engine and
// the shared model import nothing of the service or the page.
import assert from "node:assert/strict";

const ROOT = new URL("..", import.meta.url).pathname;
const SKIP = /^(\.git|node_modules|static\/build|data|artifacts)(\/|$)/;
const SPEC =
  /(?:^|\n)\s*(import|export)\s+(type\s+)?(?:[^"';]*?\s+from\s+)?["'](\.{1,2}\/[^"']+)["']/g;

interface Edge {
  to: string;
  typeOnly: boolean;
}

async function sources(): Promise<Map<string, Edge[]>> {
  const graph = new Map<string, Edge[]>();
  const walk = async (dir: string) => {
    for await (const e of Deno.readDir(ROOT + dir)) {
      const rel = dir ? `${dir}/${e.name}` : e.name;
      if (SKIP.test(rel)) continue;
      if (e.isDirectory) await walk(rel);
      else if (/\.tsx?$/.test(e.name)) {
        const text = await Deno.readTextFile(ROOT + rel);
        const edges: Edge[] = [];
        for (const m of text.matchAll(SPEC)) {
          const url = new URL(m[3], `file:///${rel}`);
          edges.push({ to: url.pathname.slice(1), typeOnly: !!m[2] });
        }
        graph.set(rel, edges);
      }
    }
  };
  await walk("");
  return graph;
}

const graph = await sources();

Deno.test("the import graph is read (guards the checks below)", () => {
  assert.ok(graph.size > 100, `${graph.size} modules`);
  assert.ok(
    graph.get("server/app.ts")?.some((e) => e.to === "server/runs/runner.ts"),
    "server/app.ts imports server/runs/runner.ts",
  );
});

Deno.test("no import cycles", () => {
  // Tarjan's strongly connected components; type-only imports count too.
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const { to } of graph.get(v) ?? []) {
      if (!graph.has(to)) continue;
      if (!idx.has(to)) {
        visit(to);
        low.set(v, Math.min(low.get(v)!, low.get(to)!));
      } else if (on.has(to)) low.set(v, Math.min(low.get(v)!, idx.get(to)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) cycles.push(scc);
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  assert.deepEqual(cycles, [], "modules importing each other");
});

/** Run-time (not type-only) imports from modules under `from` into `into`. */
function crossings(from: RegExp, into: RegExp): string[] {
  const out: string[] = [];
  for (const [m, edges] of graph) {
    if (!from.test(m)) continue;
    for (const e of edges) {
      if (!e.typeOnly && into.test(e.to)) out.push(`${m} -> ${e.to}`);
    }
  }
  return out;
}

Deno.test("browser code (islands/) imports only islands/ and model/ at run time", () => {
  assert.deepEqual(
    crossings(/^islands\/(?!client\/build\.ts)/, /^(?!islands\/|model\/)/),
    [],
  );
});

Deno.test("the engine and the model import nothing of the service or the pages", () => {
  assert.deepEqual(
    crossings(
      /^(probe|model)\/(?!.*_test\.ts$)/,
      /^(server|routes|islands|bench)\//,
    ),
    [],
  );
  assert.deepEqual(crossings(/^model\//, /^probe\//), []);
});

Deno.test("production code imports no test helper", () => {
  assert.deepEqual(
    crossings(
      /^(probe|model|server|routes|islands)\/(?!.*_test\.tsx?$)/,
      /^(testing|tests|bench)\//,
    ),
    [],
  );
});
