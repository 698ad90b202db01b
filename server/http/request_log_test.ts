import assert from "node:assert/strict";
import { createApp } from "../app.ts";
import { withRequestLog } from "./request_log.ts";

Deno.test("withRequestLog writes one JSON line per request", async () => {
  const app = createApp({ icmpStatus: () => ({ ipv4: "raw", ipv6: "raw" }) });
  const lines: string[] = [];
  let t = 0;
  const fetch = withRequestLog(app.fetch, (l) => lines.push(l), () => t += 2.5);
  const info = {
    remoteAddr: { transport: "tcp" as const, hostname: "127.0.0.1", port: 1 },
    completed: Promise.resolve(),
  };
  await (await fetch(new Request("http://x/healthz?a=1"), info)).body?.cancel();
  await (await fetch(new Request("http://x/nope", { method: "POST" }), info))
    .body?.cancel();
  assert.deepEqual(lines.map((l) => JSON.parse(l)), [
    { msg: "request", method: "GET", path: "/healthz", status: 200, ms: 2.5 },
    { msg: "request", method: "POST", path: "/nope", status: 404, ms: 2.5 },
  ]);
});
