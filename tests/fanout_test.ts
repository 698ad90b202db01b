// 10 simultaneous tests with 3 loopback targets each, 100 SSE clients over a
// real socket: every client receives every event of its test, in order, once.
import assert from "node:assert/strict";
import { Engine } from "../probe/engine.ts";
import { createApp } from "../server/app.ts";
import { parseConfig } from "../server/config/config.ts";
import { KvStore } from "../server/store/kv_store.ts";
import { Runner } from "../server/runs/runner.ts";
import { readSse } from "../testing/sse.ts";

const CONFIG = `
servers:
  - { id: lo4, name: Loopback v4, host: 127.0.0.1 }
  - { id: lo6, name: Loopback v6, host: "::1" }
  - { id: lo4b, name: Loopback v4 second, host: 127.0.0.2 }
limits:
  min_interval_ms: 1
  max_concurrent_tests: 10
  max_tests_per_user: 10
  max_pps: 1500
  max_sse_per_client: 100
auth: { mode: open }
`;

/** Reads an SSE stream to its end; returns the event ids and types in order. */
async function readAll(url: string): Promise<{ id: number; event: string }[]> {
  const events: { id: number; event: string }[] = [];
  await readSse(url, (chunk) => {
    for (const { id, event } of chunk) events.push({ id, event });
  });
  return events;
}

Deno.test("10 tests x 3 targets, 100 SSE clients: every client gets every event", async () => {
  const engine = Engine.create();
  const store = await KvStore.open(":memory:");
  const config = parseConfig(CONFIG, "fanout.yaml");
  const runner = new Runner({ engine, config, store, reportEveryMs: 100 });
  const app = createApp({
    icmpStatus: () => ({ ipv4: "raw", ipv6: "raw" }),
    api: { config, runner },
  });
  const server = Deno.serve({
    port: 0,
    hostname: "127.0.0.1",
    onListen: () => {},
  }, app.fetch);
  const base = `http://127.0.0.1:${server.addr.port}`;
  try {
    const ids: string[] = [];
    for (let t = 0; t < 10; t++) {
      const res = await fetch(`${base}/api/tests`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          targets: ["lo4", "lo6", "lo4b"],
          interval_ms: 20,
          count: 40,
          timeout_ms: 500,
        }),
      });
      assert.equal(res.status, 201, await res.clone().text());
      ids.push((await res.json()).id);
    }
    const clients = ids.flatMap((id) =>
      Array.from(
        { length: 10 },
        () => readAll(`${base}/api/tests/${id}/events`),
      )
    );
    const streams = await Promise.all(clients);
    for (let t = 0; t < 10; t++) {
      const mine = streams.slice(t * 10, t * 10 + 10);
      const reference = mine[0];
      // 3 targets x 40 probes, all answered on loopback, plus status/interval/summary/end.
      assert.equal(reference.filter((e) => e.event === "probe").length, 120);
      assert.equal(reference.filter((e) => e.event === "summary").length, 3);
      assert.equal(reference.at(-1)?.event, "end");
      // Ids run 1..N with no gap and no duplicate, the same for every client.
      assert.deepEqual(
        reference.map((e) => e.id),
        reference.map((_, i) => i + 1),
      );
      for (const other of mine) assert.deepEqual(other, reference);
    }
    for (const id of ids) {
      const meta = await (await fetch(`${base}/api/tests/${id}`)).json();
      assert.equal(meta.status, "completed");
    }
  } finally {
    await runner.close();
    await server.shutdown();
    await engine.close();
    await store.close();
  }
});
