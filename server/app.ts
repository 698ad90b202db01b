// The Hono app, built without a socket so tests drive it with app.request().
import { Hono } from "hono";
import type { SocketMode } from "../probe/icmp_socket.ts";

export interface AppDeps {
  /** Which ICMP socket each family gets, or why it cannot be opened. */
  icmpStatus: () => Record<"ipv4" | "ipv6", SocketMode | { error: string }>;
}

export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  app.get("/healthz", (c) => {
    const icmp = deps.icmpStatus();
    const ok = typeof icmp.ipv4 === "string" || typeof icmp.ipv6 === "string";
    return c.json(
      { status: ok ? "ok" : "degraded", shim: "loaded", icmp },
      ok ? 200 : 503,
    );
  });
  app.get("/", (c) =>
    c.text(
      "packet-loss-analyzer is running. The probe engine is ready (GET /healthz);\n" +
        "the test API and the live pages are being built. Meanwhile: deno task probe --help\n",
    ));
  return app;
}
