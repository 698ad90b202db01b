import assert from "node:assert/strict";
import { createApp } from "./app.ts";

Deno.test("/healthz reports the ICMP socket modes", async () => {
  const app = createApp({
    icmpStatus: () => ({ ipv4: "raw", ipv6: { error: "no IPv6" } }),
  });
  const res = await app.request("/healthz");
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), {
    status: "ok",
    shim: "loaded",
    icmp: { ipv4: "raw", ipv6: { error: "no IPv6" } },
  });
});

Deno.test("/healthz is 503 when no ICMP socket can be opened", async () => {
  const app = createApp({
    icmpStatus: () => ({ ipv4: { error: "EPERM" }, ipv6: { error: "EPERM" } }),
  });
  const res = await app.request("/healthz");
  assert.equal(res.status, 503);
  assert.equal((await res.json()).status, "degraded");
});
