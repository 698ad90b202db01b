// What a page makes the browser download as JavaScript: its <script src>
// files, each fetched through the app, and their gzip-compressed total (the
// pages' budgets are in gzip bytes).
import assert from "node:assert/strict";

/** The pages' JavaScript budget, gzip-compressed (the dashboard's is its own). */
export const JS_BUDGET_GZ = 40 * 1024;

const gzipSize = async (bytes: Uint8Array) =>
  (await new Response(
    new Blob([bytes as BlobPart]).stream().pipeThrough(
      new CompressionStream("gzip"),
    ),
  ).arrayBuffer()).byteLength;

/** The script files `html` loads and their gzip total; each must be served. */
export async function pageScripts(
  app: { request(path: string): Response | Promise<Response> },
  html: string,
): Promise<{ scripts: string[]; gzipBytes: number }> {
  const scripts = [...html.matchAll(/<script\b[^>]*\ssrc="([^"]+)"/g)].map((
    m,
  ) => m[1]);
  let gzipBytes = 0;
  for (const src of scripts) {
    const res = await app.request(src);
    assert.equal(res.status, 200, src);
    gzipBytes += await gzipSize(new Uint8Array(await res.arrayBuffer()));
  }
  return { scripts, gzipBytes };
}
