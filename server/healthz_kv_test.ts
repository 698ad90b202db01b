import assert from "node:assert/strict";
import { createApp } from "./app.ts";
import { KvStore } from "./store/kv_store.ts";

Deno.test("/healthz reports KV reachable, 503 once it is not", async () => {
  const store = await KvStore.open(":memory:");
  const app = createApp({
    icmpStatus: () => ({ ipv4: "raw", ipv6: "raw" }),
    kvHealth: () => store.getTest("__healthz__"),
  });
  const ok = await app.request("/healthz");
  assert.equal(ok.status, 200);
  const body = await ok.json();
  assert.equal(body.status, "ok");
  assert.equal(body.kv, "ok");

  await store.close();
  const down = await app.request("/healthz");
  assert.equal(down.status, 503);
  const b2 = await down.json();
  assert.equal(b2.status, "degraded");
  assert.equal(typeof b2.kv.error, "string");
});
