// Benchmark 4: 1,000 SSE clients on one running test, the service in its own
// process: its CPU and memory, and whether every client got every event.
import { type BenchRow, num, ratio, verdict } from "./report.ts";
import { readSse } from "../testing/sse.ts";
import { postTest, rssOf, startServer, waitForTest } from "./server_process.ts";
import { LOOPBACK_CONFIG } from "./live_path.ts";
import { median } from "./quantile.ts";

const BENCH = "4 Fan-out";
const CLIENTS = 1000;
const COUNT = 150;
const INTERVAL_MS = 100;
/** Issue 10: memory per SSE client at most this many times Deno's own floor. */
const TARGET_RATIO = 1.3;

interface ClientLog {
  ids: number[];
  ended: boolean;
  error?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * RSS per idle SSE connection of a bare Deno.serve (sse_floor_server.ts):
 * what the runtime itself costs per streaming response, measured the same way.
 */
async function denoFloorKb(): Promise<number> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net",
      new URL("sse_floor_server.ts", import.meta.url).pathname,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  try {
    const reader = child.stdout.pipeThrough(new TextDecoderStream())
      .getReader();
    const { port } = JSON.parse((await reader.read()).value!);
    reader.releaseLock();
    child.stdout.cancel().catch(() => {});
    await sleep(300);
    const rss0 = await rssOf(child.pid);
    let connected = 0;
    const controllers: AbortController[] = [];
    for (let i = 0; i < CLIENTS; i++) {
      const ac = new AbortController();
      controllers.push(ac);
      fetch(`http://127.0.0.1:${port}/`, { signal: ac.signal }).then(
        async (r) => {
          connected++;
          for await (const _ of r.body!) { /* hold the stream open */ }
        },
      ).catch(() => {});
    }
    while (connected < CLIENTS) await sleep(50);
    await sleep(1000);
    const rss1 = await rssOf(child.pid);
    for (const ac of controllers) ac.abort();
    return (rss1 - rss0) / CLIENTS / 1024;
  } finally {
    child.kill();
    await child.status;
  }
}

export async function fanoutBench(): Promise<BenchRow[]> {
  const floorKb = await denoFloorKb();
  const server = await startServer(
    LOOPBACK_CONFIG(
      "limits: { min_interval_ms: 1, max_sse_per_client: 2000 }",
    ),
  );
  try {
    // Warm the service up (JIT, KV, engine) with a short test first.
    const warm = await postTest(server.base, {
      targets: ["lo4"],
      interval_ms: 10,
      count: 50,
      timeout_ms: 500,
    });
    await readSse(`${server.base}/api/tests/${warm}/events`, () => {});
    const id = await postTest(server.base, {
      targets: ["lo4"],
      interval_ms: INTERVAL_MS,
      count: COUNT,
      timeout_ms: 1000,
    });
    await sleep(300);
    const rssSamples = [];
    for (let i = 0; i < 3; i++) {
      rssSamples.push(await server.rss());
      await sleep(100);
    }
    const rss0 = median(rssSamples)!;
    const cpu0 = await server.cpuSeconds();
    const t0 = performance.now();
    let connected = 0;
    const logs: ClientLog[] = [];
    const clients = Array.from({ length: CLIENTS }, () => {
      const log: ClientLog = { ids: [], ended: false };
      logs.push(log);
      return readSse(
        `${server.base}/api/tests/${id}/events`,
        (events) => {
          for (const ev of events) {
            log.ids.push(ev.id);
            if (ev.event === "end") log.ended = true;
          }
        },
        () => connected++,
      ).catch((e) => log.error = (e as Error).message);
    });
    // Memory with every client connected: the highest RSS seen while the
    // test runs (after all have connected).
    const withClients: number[] = [];
    const done = Promise.all(clients);
    let finished = false;
    done.then(() => finished = true);
    while (!finished) {
      if (connected === CLIENTS) withClients.push(await server.rss());
      await sleep(250);
    }
    // Steady state: the median of the samples (the peak is reported too).
    const rssWith = median(withClients) ?? NaN;
    const rssPeak = Math.max(...withClients);
    const wallS = (performance.now() - t0) / 1000;
    const cpu = await server.cpuSeconds() - cpu0;
    await waitForTest(server.base, id, 10_000);
    const total = Math.max(...logs.map((l) => l.ids.at(-1) ?? 0));
    const complete = logs.filter((l) =>
      !l.error && l.ended && l.ids.length === total &&
      l.ids.every((x, i) =>
        x === i + 1
      )
    ).length;
    const perClientKb = (rssWith - rss0) / CLIENTS / 1024;
    // The verdict is the Ratio column's own figure (2 decimals).
    const memRatioText = ratio(perClientKb, floorKb);
    const memRatio = Number(memRatioText);
    const errors = logs.filter((l) => l.error).length;
    return [
      {
        bench: BENCH,
        figure:
          `clients that got every event (ids 1..${total}, in order, to end) of ${CLIENTS}`,
        ours: `${complete}/${CLIENTS}${errors ? ` (${errors} failed)` : ""}`,
        peer: "—",
        ratio: "—",
        target: "all",
        verdict: verdict(complete === CLIENTS),
      },
      {
        bench: BENCH,
        figure:
          "server memory per client, KB ((RSS with clients − before) / clients); peer: bare Deno.serve SSE, idle",
        ours: num(perClientKb, 1),
        peer: `Deno.serve floor ${num(floorKb, 1)}`,
        ratio: memRatioText,
        target: `≤ ${TARGET_RATIO}× the Deno.serve floor`,
        verdict: verdict(
          Number.isFinite(memRatio) ? memRatio <= TARGET_RATIO : null,
          `${memRatioText}× the floor`,
        ),
      },
      {
        bench: BENCH,
        figure: `server CPU s over the ${
          num(wallS, 1)
        } s test with ${CLIENTS} clients (RSS MiB: ${
          num(rss0 / 1048576, 0)
        } before, ${num(rssWith / 1048576, 0)} median and ${
          num(rssPeak / 1048576, 0)
        } peak with clients)`,
        ours: `${num(cpu, 2)} (${num(cpu / wallS * 100, 0)}% of a core)`,
        peer: "—",
        ratio: "—",
        target: "—",
        verdict: "—",
      },
    ];
  } finally {
    await server.stop();
  }
}
