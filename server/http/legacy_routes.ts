// The seed project's routes, kept as aliases: each request is forwarded with a
// rewritten URL (same method, headers and body) to the /api handler, so limits
// and validation are the same.
import type { Context, Hono } from "hono";

/** Alias path pattern → method and the /api path it forwards to. */
export const SEED_ALIASES: {
  method: "GET" | "POST";
  path: string;
  to: (id: string | undefined) => string;
}[] = [
  { method: "GET", path: "/servers", to: () => "/api/servers" },
  { method: "POST", path: "/start_test", to: () => "/api/tests" },
  { method: "GET", path: "/results/:id", to: (id) => `/api/tests/${id}` },
  {
    method: "GET",
    path: "/live/:id",
    to: (id) => `/api/tests/${id}/events`,
  },
];

function forward(app: Hono, c: Context, path: string): Promise<Response> {
  const from = new URL(c.req.url);
  const url = new URL(path + from.search, from);
  const raw = c.req.raw;
  // Method, headers and body as received; the signal is left behind (reading it
  // makes Deno warn, and a dropped client cancels the response stream anyway).
  // `duplex` is needed for a streamed body but missing from the lib's RequestInit.
  const init: RequestInit & { duplex: "half" } = {
    method: raw.method,
    headers: raw.headers,
    body: raw.body,
    duplex: "half",
  };
  const req = new Request(url, init);
  return Promise.resolve(app.fetch(req, c.env));
}

/** Mounts the aliases on `app`; call after the /api routes exist (order is irrelevant to forwarding). */
export function mountSeedAliases(app: Hono): void {
  for (const a of SEED_ALIASES) {
    const handler = (c: Context) =>
      forward(
        app,
        c,
        a.to(
          c.req.param("id") === undefined
            ? undefined
            : encodeURIComponent(c.req.param("id")!),
        ),
      );
    if (a.method === "GET") app.get(a.path, handler);
    else app.post(a.path, handler);
  }
}
