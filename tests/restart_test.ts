// The real server as a child process on a free port with KV in a temp dir:
// SSE resume with Last-Event-ID, and a SIGKILL mid-test followed by a restart on
// the same KV. Probes loopback only (localhost-v4), bounded counts.
import assert from "node:assert/strict";

const ROOT = new URL("..", import.meta.url).pathname;

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

interface Server {
  base: string;
  child: Deno.ChildProcess;
  /** Waits for the process to exit (after a kill). */
  exited: Promise<Deno.CommandStatus>;
}

async function startServer(dir: string, port: number): Promise<Server> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-ffi",
      `--allow-read=${ROOT},${dir}`,
      `--allow-write=${dir}`,
      "--allow-net",
      "--allow-env",
      "--allow-sys=hostname",
      "server/main.ts",
    ],
    cwd: ROOT,
    env: { PORT: String(port), PLA_KV: `${dir}/pla.kv` },
    stdout: "piped",
    stderr: "null",
  }).spawn();
  // Read stdout until the listening line, then keep draining it.
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const deadline = Date.now() + 30_000;
  while (!text.includes('"listening"')) {
    if (Date.now() > deadline) throw new Error("server did not start");
    const { value, done } = await reader.read();
    if (done) throw new Error(`server exited before listening:\n${text}`);
    text += value;
  }
  (async () => {
    try {
      while (!(await reader.read()).done) { /* drain */ }
    } catch { /* killed */ }
  })();
  return { base: `http://127.0.0.1:${port}`, child, exited: child.status };
}

async function stopServer(s: Server, signal: Deno.Signal = "SIGTERM") {
  try {
    s.child.kill(signal);
  } catch { /* already gone */ }
  await s.exited;
}

interface Ev {
  id: number;
  event: string;
  data: Record<string, unknown>;
}

/** Reads SSE events until `end` or `max` events, then disconnects. */
async function readEvents(
  url: string,
  opts: { lastEventId?: number; max?: number } = {},
): Promise<Ev[]> {
  const ac = new AbortController();
  const res = await fetch(url, {
    signal: ac.signal,
    headers: opts.lastEventId !== undefined
      ? { "last-event-id": String(opts.lastEventId) }
      : {},
  });
  assert.equal(res.status, 200);
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  const out: Ev[] = [];
  let buf = "";
  const max = opts.max ?? Infinity;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += value;
      let cut;
      while ((cut = buf.indexOf("\n\n")) >= 0) {
        const block = buf.slice(0, cut);
        buf = buf.slice(cut + 2);
        const id = /^id: ?(\d+)$/m.exec(block);
        const event = /^event: ?(\w+)$/m.exec(block);
        const data = /^data: ?(.*)$/m.exec(block);
        if (!id || !event) continue;
        out.push({
          id: Number(id[1]),
          event: event[1],
          data: JSON.parse(data?.[1] ?? "null"),
        });
        if (event[1] === "end" || out.length >= max) return out;
      }
    }
    return out;
  } finally {
    ac.abort();
    await reader.cancel().catch(() => {});
  }
}

async function postTest(base: string, body: unknown): Promise<string> {
  const res = await fetch(`${base}/api/tests`, {
    method: "POST",
    body: JSON.stringify(body),
    headers: { "content-type": "application/json" },
  });
  const json = await res.json();
  assert.equal(res.status, 201, JSON.stringify(json));
  return json.id;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("SSE resume with Last-Event-ID: no gap, no duplicate, until end", async () => {
  const dir = await Deno.makeTempDir();
  const server = await startServer(dir, freePort());
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

Deno.test("SIGKILL mid-test, restart on the same KV: interrupted, stored samples, full replay", async () => {
  const dir = await Deno.makeTempDir();
  const port = freePort();
  let server = await startServer(dir, port);
  try {
    const id = await postTest(server.base, {
      targets: ["localhost-v4"],
      interval_ms: 50,
      count: 2000,
      timeout_ms: 500,
    });
    await sleep(700);
    const running = await (await fetch(`${server.base}/api/tests/${id}`))
      .json();
    assert.equal(running.status, "running");
    assert.equal(running.stats[0].target, "localhost-v4");
    assert.ok(running.stats[0].sent > 0);
    const liveEvents = await readEvents(
      `${server.base}/api/tests/${id}/events`,
      {
        max: 10,
      },
    );
    await sleep(900);
    await stopServer(server, "SIGKILL");

    server = await startServer(dir, port);
    const meta = await (await fetch(`${server.base}/api/tests/${id}`)).json();
    assert.equal(meta.status, "interrupted");

    const probes: { index: number; target: string }[] = [];
    let cursor = "";
    for (let page = 0; page < 100; page++) {
      const res = await fetch(
        `${server.base}/api/tests/${id}/samples?limit=5&cursor=${cursor}`,
      );
      assert.equal(res.status, 200);
      const body = await res.json();
      probes.push(...body.probes);
      if (!body.has_more) break;
      cursor = body.next_cursor;
    }
    assert.ok(probes.length > 0, "some probes were flushed before the kill");
    const indices = probes.map((p) => p.index).sort((a, b) => a - b);
    assert.deepEqual(indices, indices.map((_, i) => i));
    assert.ok(probes.every((p) => p.target === "localhost-v4"));

    const replay = await readEvents(`${server.base}/api/tests/${id}/events`);
    assert.deepEqual(replay.map((e) => e.id), replay.map((_, i) => i + 1));
    assert.deepEqual(replay.slice(0, liveEvents.length), liveEvents);
    assert.deepEqual(replay.slice(-2).map((e) => [e.event, e.data.status]), [
      ["status", "interrupted"],
      ["end", "interrupted"],
    ]);
    assert.equal(
      replay.filter((e) => e.event === "probe").length,
      probes.length,
    );
    // Resume of the replay across the restart.
    const mid = Math.floor(replay.length / 2);
    const resumed = await readEvents(`${server.base}/api/tests/${id}/events`, {
      lastEventId: mid,
    });
    assert.deepEqual(resumed, replay.slice(mid));
  } finally {
    await stopServer(server);
    await Deno.remove(dir, { recursive: true });
  }
});
