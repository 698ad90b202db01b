// SIGTERM to the real server mid-test: the running test stops, every event is
// flushed, the process exits 0 within a few seconds, and after a restart on
// the same KV the test is `stopped` with all its probes. Loopback only.
import assert from "node:assert/strict";
import {
  allSamples,
  postTest,
  readEvents,
  sleep,
  type SseEvent,
  startServer,
  stopServer,
} from "../testing/server_process.ts";

Deno.test("SIGTERM mid-test: stopped, flushed, exit 0 within a few seconds", async () => {
  const dir = await Deno.makeTempDir();
  let server = await startServer({ dir });
  const port = server.port;
  try {
    const id = await postTest(server.base, {
      targets: ["localhost-v4", "localhost-v6"],
      interval_ms: 20,
      count: 50_000,
      timeout_ms: 1000,
    });
    const seen: SseEvent[] = [];
    const following = readEvents(`${server.base}/api/tests/${id}/events`, {
      onEvent: (e) => seen.push(e),
    });
    await sleep(1500);
    const t0 = performance.now();
    const status = await stopServer(server, "SIGTERM");
    const tookMs = performance.now() - t0;
    assert.equal(status.code, 0, server.output());
    assert.ok(tookMs < 5000, `exit took ${Math.round(tookMs)} ms`);
    // The live client was told: the stream ended with the test stopped.
    await following;
    assert.deepEqual(
      seen.slice(-2).map((e) => [e.event, e.data.status]),
      [["status", "stopped"], ["end", "stopped"]],
    );

    server = await startServer({ dir, port });
    const meta = await (await fetch(`${server.base}/api/tests/${id}`)).json();
    assert.equal(meta.status, "stopped");
    assert.ok(meta.finished_at);
    // Stored events are exactly those the live client got, to the end.
    const replay = await readEvents(`${server.base}/api/tests/${id}/events`);
    assert.deepEqual(replay, seen);
    // Every probe sent is stored with its outcome: the summary's `sent` per
    // target equals the stored probes, indices 0..sent-1, none pending.
    const probes = await allSamples(server.base, id);
    assert.equal(meta.summary.length, 2);
    for (
      const s of meta.summary as {
        target: string;
        sent: number;
        pending: number;
      }[]
    ) {
      assert.ok(s.sent > 20, `${s.target}: ${s.sent} sent`);
      assert.equal(s.pending, 0);
      const mine = probes.filter((p) => p.target === s.target);
      const indices = [...new Set(mine.map((p) => p.index))].sort((a, b) =>
        a - b
      );
      assert.deepEqual(indices, indices.map((_, i) => i), s.target);
      assert.equal(indices.length, s.sent, s.target);
    }
  } finally {
    await stopServer(server);
    await Deno.remove(dir, { recursive: true });
  }
});
