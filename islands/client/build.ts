// Bundles the browser code into static/build/ with content-hashed names and a
// manifest.json the pages read to emit their <script>/<link> tags.
// Run by `deno task build` (with --unstable-bundle): Deno.bundle runs in-process.

const ROOT = new URL("../..", import.meta.url);
const OUT = new URL("static/build/", ROOT);

/** Logical asset name → source entry point, relative to the project root. */
export const ENTRIES: Record<string, string> = {
  "boot.js": "islands/client/boot.tsx",
  "monitors.js": "islands/client/boot_monitors.tsx",
  "tests.js": "islands/client/boot_tests.tsx",
  "device.js": "islands/client/boot_device.tsx",
  "theme.js": "islands/client/theme_init.ts",
  "app.css": "static/app.css",
};

export type Manifest = Record<string, string>;

interface BundleOutput {
  path: string;
  contents?: Uint8Array;
}
interface BundleResult {
  success: boolean;
  errors: { text: string }[];
  outputFiles?: BundleOutput[];
}
type BundleFn = (o: Record<string, unknown>) => Promise<BundleResult>;

async function shortHash(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", bytes as BufferSource),
  );
  return [...digest.slice(0, 6)].map((b) => b.toString(16).padStart(2, "0"))
    .join("");
}

export async function buildClient(): Promise<Manifest> {
  const bundle = (Deno as unknown as { bundle?: BundleFn }).bundle;
  if (!bundle) {
    throw new Error("Deno.bundle is missing: run with --unstable-bundle");
  }
  const result = await bundle({
    entrypoints: Object.values(ENTRIES).map((e) => new URL(e, ROOT).pathname),
    outputDir: OUT.pathname,
    platform: "browser",
    minify: true,
    write: false,
  });
  if (!result.success) {
    throw new Error(result.errors.map((e) => e.text).join("\n"));
  }
  await Deno.mkdir(OUT, { recursive: true });
  const keep = new Set(["manifest.json"]);
  const manifest: Manifest = {};
  for (const [name, entry] of Object.entries(ENTRIES)) {
    const stem = entry.replace(/^.*\//, "").replace(/\.[^.]+$/, "");
    const ext = name.slice(name.lastIndexOf("."));
    const file = result.outputFiles?.find((f) =>
      f.path.endsWith(`/${stem}${ext}`)
    );
    if (!file?.contents) throw new Error(`no bundle output for ${entry}`);
    const hashed = `${name.slice(0, -ext.length)}-${await shortHash(
      file.contents,
    )}${ext}`;
    await Deno.writeFile(new URL(hashed, OUT), file.contents);
    manifest[name] = `/static/build/${hashed}`;
    keep.add(hashed);
  }
  await Deno.writeTextFile(
    new URL("manifest.json", OUT),
    JSON.stringify(manifest, null, 2) + "\n",
  );
  // Old hashed files would pile up with every change.
  for await (const e of Deno.readDir(OUT)) {
    if (!keep.has(e.name)) await Deno.remove(new URL(e.name, OUT));
  }
  return manifest;
}

if (import.meta.main) {
  try {
    const manifest = await buildClient();
    // stderr: the build runs before `deno task probe`, whose stdout may be NDJSON.
    console.error(`client: ${Object.values(manifest).join(" ")}`);
  } catch (e) {
    console.error(`client build failed: ${(e as Error).message}`);
    Deno.exit(1);
  }
}
