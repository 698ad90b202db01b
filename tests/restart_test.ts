// The real server as a child process on a free port with KV in a temp dir:
// SSE resume with Last-Event-ID, and a SIGKILL mid-test followed by a restart on
// the same KV. Probes loopback only (localhost-v4), bounded counts.
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

/** The store flushes every second; a kill may land mid-flush, so two periods and slack. */
const SURELY_FLUSHED_MS = 2300;

Deno.test("SSE resume with Last-Event-ID: no gap, no duplicate, until end", async () => {
  const dir = await Deno.makeTempDir();
  const server = await startServer({ dir });
  try {
    const id = await postTest(server.base, {
      targets: ["localhost-v4"],
      interval_ms: 20,
      count: 60,
      timeout_ms: 500,
    });
    const url = `${server.base}/api/tests/${id}/events`;
    const first = await readEvents(url, { max: 15 });
    assert.equal(first.length, 15);
    await sleep(200); // events keep coming while disconnected
    const rest = await readEvents(url, { lastEventId: first.at(-1)!.id });
    const all = [...first, ...rest];
    assert.deepEqual(all.map((e) => e.id), all.map((_, i) => i + 1));
    assert.equal(all.at(-1)!.event, "end");
    assert.equal(all.filter((e) => e.event === "probe").length, 60);
    // Live statistics are gone once finished; the summary is there.
    const meta = await (await fetch(`${server.base}/api/tests/${id}`)).json();
    assert.equal(meta.status, "completed");
    assert.equal(meta.summary.length, 1);
  } finally {
    await stopServer(server);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SIGKILL mid-test, restart on the same KV: interrupted, every event up to the last flush, full replay", async () => {
  const dir = await Deno.makeTempDir();
  let server = await startServer({ dir });
  const port = server.port;
  const ac = new AbortController();
  try {
    const id = await postTest(server.base, {
      targets: ["localhost-v4"],
      interval_ms: 50,
      count: 2000,
      timeout_ms: 500,
    });
    // One client follows the test live and notes when each event arrived.
    const live: { ev: SseEvent; at: number }[] = [];
    const following = readEvents(`${server.base}/api/tests/${id}/events`, {
      signal: ac.signal,
      onEvent: (ev) => live.push({ ev, at: performance.now() }),
    }).catch(() => []);
    await sleep(700);
    const running = await (await fetch(`${server.base}/api/tests/${id}`))
      .json();
    assert.equal(running.status, "running");
    assert.equal(running.stats[0].target, "localhost-v4");
    assert.ok(running.stats[0].sent > 0);
    await sleep(3500);
    const killedAt = performance.now();
    await stopServer(server, "SIGKILL");
    ac.abort();
    await following;
    // Published (hence seen by the client) before the last complete flush.
    const mustBeStored = live.filter((l) => l.at < killedAt - SURELY_FLUSHED_MS)
      .map((l) => l.ev);
    assert.ok(mustBeStored.length > 20, `${mustBeStored.length} early events`);

    server = await startServer({ dir, port });
    const meta = await (await fetch(`${server.base}/api/tests/${id}`)).json();
    assert.equal(meta.status, "interrupted");

    const replay = await readEvents(`${server.base}/api/tests/${id}/events`);
    assert.deepEqual(replay.map((e) => e.id), replay.map((_, i) => i + 1));
    assert.deepEqual(replay.slice(-2).map((e) => [e.event, e.data.status]), [
      ["status", "interrupted"],
      ["end", "interrupted"],
    ]);
    // What was stored is exactly what the live stream sent, and it reaches at
    // least every event published before the last flush.
    const stored = replay.slice(0, -2);
    assert.deepEqual(stored, live.slice(0, stored.length).map((l) => l.ev));
    assert.ok(
      stored.length >= mustBeStored.length,
      `stored ${stored.length} events, ${mustBeStored.length} were flushed`,
    );

    // Samples, paginated, agree: every probe index from 0, none missing.
    const probes = await allSamples(server.base, id, 5);
    assert.ok(probes.every((p) => p.target === "localhost-v4"));
    const indices = probes.map((p) => p.index).sort((a, b) => a - b);
    assert.deepEqual(indices, indices.map((_, i) => i));
    assert.equal(
      probes.length,
      stored.filter((e) => e.event === "probe").length,
    );
    assert.ok(
      probes.length >= mustBeStored.filter((e) => e.event === "probe").length,
    );
    // Resume of the replay across the restart.
    const mid = Math.floor(replay.length / 2);
    const resumed = await readEvents(`${server.base}/api/tests/${id}/events`, {
      lastEventId: mid,
    });
    assert.deepEqual(resumed, replay.slice(mid));
  } finally {
    ac.abort();
    await stopServer(server);
    await Deno.remove(dir, { recursive: true });
  }
});
