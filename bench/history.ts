// Benchmark 9: reads that stay bounded as history grows. A KV file holding
// 10,000 finished tests and one of 86,400 probes (written straight through
// the store API, as the runner would have stored them), served by the service
// in its own process: the time of a history page from the API and as HTML, of
// samples pages of the big test, and the server's memory while 100 clients
// replay the big test over SSE at once.
import { type BenchRow, num, verdict } from "./report.ts";
import { startServer } from "./server_process.ts";
import { KvStore } from "../server/store/kv_store.ts";
import { storedMeta, storeFinishedTest } from "../testing/stored_history.ts";
import { median, quantile } from "./quantile.ts";

const BENCH = "9 History";
const TESTS = 10_000;
const PROBES = 86_400;
const CLIENTS = 100;
const RUNS = 20;
const TARGET_MS = 100;
const TARGET_MIB = 100;

const CONFIG = `
servers:
  - { id: lo4, name: Loopback v4, host: 127.0.0.1 }
  - { id: lo6, name: Loopback v6, host: "::1" }
auth: { mode: open }
limits: { max_sse_per_client: ${CLIENTS + 10} }
`;

const STATUSES = ["completed", "stopped", "failed", "interrupted"] as const;
const BIG = "bigtest86400";

/** Fills the KV file: 10,000 small tests (record, indexes, summary), then the big one. */
async function fillHistory(kvPath: string): Promise<void> {
  const store = await KvStore.open(kvPath, { flushEveryMs: 3_600_000 });
  // The last few hours: inside the retention the service prunes by at start.
  const t0 = Date.now() - (TESTS + 10) * 1000;
  try {
    const batch: Promise<void>[] = [];
    for (let i = 0; i < TESTS; i++) {
      const meta = storedMeta(i, {
        targets: i % 3 ? ["lo4"] : ["lo4", "lo6"],
        status: STATUSES[i % 4],
        t0,
      });
      batch.push(store.saveTest(meta));
      if (batch.length === 50) await Promise.all(batch.splice(0));
    }
    await Promise.all(batch);
    await storeFinishedTest(
      store,
      storedMeta(TESTS, { id: BIG, targets: ["lo4"], t0 }),
      PROBES,
    );
  } finally {
    await store.close();
  }
}

/** Median and p95 ms of RUNS GETs of `url` (after one warm-up), and the last status and size. */
async function timeGets(url: string) {
  await (await fetch(url)).arrayBuffer();
  const ms: number[] = [];
  let status = 0, bytes = 0;
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const res = await fetch(url);
    bytes = (await res.arrayBuffer()).byteLength;
    ms.push(performance.now() - t0);
    status = res.status;
  }
  return { median: median(ms)!, p95: quantile(ms, 0.95)!, status, bytes };
}

/**
 * Reads a stream to its end: its bytes, its last bytes (does it end with
 * `end`?) and, when `count`, its events (one client parses; the others only
 * count bytes, so the bench process keeps up with 100 streams).
 */
async function replayClient(
  url: string,
  count: boolean,
): Promise<{ bytes: number; events: number; ended: boolean }> {
  const res = await fetch(url);
  const PATTERN = "\nevent: ";
  let events = 0, bytes = 0;
  let carry = "";
  let last = new Uint8Array(0);
  const dec = new TextDecoder();
  for await (const chunk of res.body!) {
    bytes += chunk.length;
    last = chunk.length >= 64 ? chunk : new Uint8Array([...last, ...chunk]);
    if (!count) continue;
    // A match cut by a chunk boundary starts in the carried tail.
    const s = carry + dec.decode(chunk, { stream: true });
    for (let i = s.indexOf(PATTERN); i >= 0; i = s.indexOf(PATTERN, i + 1)) {
      events++;
    }
    carry = s.slice(-(PATTERN.length - 1));
  }
  const tail = new TextDecoder().decode(last.slice(-64));
  return { bytes, events, ended: tail.includes("event: end\n") };
}

export async function historyBench(): Promise<BenchRow[]> {
  const t0 = performance.now();
  let fillS = 0;
  const server = await startServer(CONFIG, async (kvPath) => {
    await fillHistory(kvPath);
    fillS = (performance.now() - t0) / 1000;
  });
  try {
    const row = (
      figure: string,
      ours: string,
      ok: boolean | null,
      target: string,
      miss = "",
    ): BenchRow => ({
      bench: BENCH,
      figure,
      ours,
      peer: "—",
      ratio: "—",
      target,
      verdict: verdict(ok, miss),
    });
    const timed = async (what: string, path: string) => {
      const r = await timeGets(`${server.base}${path}`);
      return row(
        `${what}: \`${path}\`, ms, median of ${RUNS} (p95 ${
          num(r.p95, 1)
        }; HTTP ${r.status}, ${num(r.bytes / 1024, 0)} KiB)`,
        num(r.median, 1),
        r.status === 200 && r.median < TARGET_MS,
        `< ${TARGET_MS} ms`,
        `${num(r.median - TARGET_MS, 0)} ms over`,
      );
    };
    const rows: BenchRow[] = [];
    rows.push(
      await timed(
        `API history page (${TESTS + 1} tests stored)`,
        "/api/tests?limit=50",
      ),
    );
    const first = await (await fetch(`${server.base}/api/tests?limit=50`))
      .json();
    rows.push(
      await timed(
        "API history, 2nd page filtered by status and server",
        `/api/tests?limit=50&status=failed&target=lo6&cursor=${first.next_cursor}`,
      ),
    );
    rows.push(await timed("history page (HTML, 50 rows)", "/tests"));
    rows.push(await timed("dashboard (HTML, 5 recent tests)", "/"));
    rows.push(
      await timed(
        `samples of the ${PROBES}-probe test, first page`,
        `/api/tests/${BIG}/samples?limit=1000`,
      ),
    );
    rows.push(
      await timed(
        "samples, a page three quarters in",
        `/api/tests/${BIG}/samples?limit=1000&cursor=${
          Math.floor(PROBES * 0.75)
        }`,
      ),
    );

    // 100 clients replay the big test at once.
    await new Promise((r) => setTimeout(r, 500));
    const rss0 = await server.rss();
    let peak = rss0;
    let done = false;
    const sampler = (async () => {
      while (!done) {
        peak = Math.max(peak, await server.rss());
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const tr = performance.now();
    const results = await Promise.all(
      Array.from(
        { length: CLIENTS },
        (_, i) =>
          replayClient(`${server.base}/api/tests/${BIG}/events`, i === 0),
      ),
    );
    const replayS = (performance.now() - tr) / 1000;
    done = true;
    await sampler;
    const growth = (peak - rss0) / 1048576;
    const events = results[0].events;
    // Every client must get the same bytes as the one that counted events.
    const complete = results.filter((r) =>
      r.ended && r.bytes === results[0].bytes
    ).length;
    rows.push(row(
      `${CLIENTS} clients replaying the ${PROBES}-probe test over SSE at once: server RSS growth, MiB (peak − before: ${
        num(rss0 / 1048576, 0)
      } → ${
        num(peak / 1048576, 0)
      }; ${complete}/${CLIENTS} got all ${events} events to \`end\` in ${
        num(replayS, 1)
      } s)`,
      num(growth, 1),
      growth < TARGET_MIB && complete === CLIENTS,
      `< ${TARGET_MIB} MiB`,
      `${num(growth - TARGET_MIB, 0)} MiB over`,
    ));
    rows.push(row(
      `(setup: ${TESTS} tests and the ${PROBES}-probe test written through the store API in ${
        num(fillS, 1)
      } s)`,
      "—",
      null,
      "report",
    ));
    return rows;
  } finally {
    await server.stop();
  }
}
