// The browser assets, served by the app itself (air-gapped: no CDN): hashed
// bundles under /static/build/ cached for a year, other /static/ files briefly.
import type { Hono } from "hono";

const STATIC = new URL("../static/", import.meta.url);
const TYPES: Record<string, string> = {
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  svg: "image/svg+xml",
  json: "application/json",
};

export type Manifest = Record<
  "boot.js" | "monitors.js" | "tests.js" | "device.js" | "theme.js" | "app.css",
  string
>;

let manifest: Manifest | null = null;

/** The build's manifest: logical name → hashed URL. Read once. */
export function assetManifest(): Manifest {
  if (manifest) return manifest;
  try {
    manifest = JSON.parse(
      Deno.readTextFileSync(new URL("build/manifest.json", STATIC)),
    ) as Manifest;
  } catch (e) {
    throw new Error(
      `static/build/manifest.json is missing or unreadable (${
        (e as Error).message
      }); run \`deno task build\``,
    );
  }
  return manifest;
}

interface Asset {
  body: Uint8Array;
  gzip: Uint8Array;
  type: string;
}
const cache = new Map<string, Promise<Asset | null>>();

async function load(path: string): Promise<Asset | null> {
  let body: Uint8Array;
  try {
    body = await Deno.readFile(new URL(path, STATIC));
  } catch {
    return null;
  }
  const gzip = new Uint8Array(
    await new Response(
      new Blob([body as BlobPart]).stream().pipeThrough(
        new CompressionStream("gzip"),
      ),
    ).arrayBuffer(),
  );
  const ext = path.slice(path.lastIndexOf(".") + 1);
  return { body, gzip, type: TYPES[ext] ?? "application/octet-stream" };
}

export function mountAssets(app: Hono): void {
  app.get("/static/*", async (c) => {
    const path = c.req.path.slice("/static/".length);
    // Only plain names, one folder deep at most: nothing outside static/.
    if (!/^(build\/)?[\w-]+(\.[\w-]+)+$/.test(path)) return c.notFound();
    if (!cache.has(path)) cache.set(path, load(path));
    const asset = await cache.get(path)!;
    if (!asset) {
      cache.delete(path);
      return c.notFound();
    }
    const hashed = path.startsWith("build/") && path !== "build/manifest.json";
    c.header("content-type", asset.type);
    c.header(
      "cache-control",
      hashed ? "public, max-age=31536000, immutable" : "public, max-age=300",
    );
    c.header("vary", "accept-encoding");
    if (/\bgzip\b/.test(c.req.header("accept-encoding") ?? "")) {
      c.header("content-encoding", "gzip");
      return c.body(asset.gzip as Uint8Array<ArrayBuffer>);
    }
    return c.body(asset.body as Uint8Array<ArrayBuffer>);
  });
}
