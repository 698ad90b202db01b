// Browser memory after an 8-hour live test at 10 probes/s, without waiting 8
// hours: a real running test's page is opened through a small proxy that
// serves that test's event stream itself: 288,000 probe events (every 1000th
// lost) as fast as the browser takes them, then holds the stream open. The
// page's live store folds old probes as it would over 8 hours; Chromium's JS
// heap is read over CDP after a forced garbage collection.
import { type BenchRow, num } from "./report.ts";
import { postTest, startServer } from "./server_process.ts";
import { LOOPBACK_CONFIG } from "./live_path.ts";
import { withChromium } from "./page.ts";
import { report } from "../testing/stored_history.ts";

const PROBES = Number(Deno.env.get("PLA_BENCH_LIVE_PROBES") ?? 288_000);
const INTERVAL_MS = 100;

function sseFrame(id: number, type: string, data: unknown): string {
  return `id: ${id}\nevent: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** The synthetic stream: 288,000 probes of 8 hours at 10/s, reports every 10,000 and at the end. */
function syntheticEvents(t0: number, after: number): ReadableStream {
  const enc = new TextEncoder();
  let i = 0, next = 1;
  let timer: ReturnType<typeof setTimeout> | undefined;
  // Frames up to `after` were taken before a reconnect: left out.
  const frame = (id: number, type: string, data: unknown) =>
    id <= after ? "" : sseFrame(id, type, data);
  return new ReadableStream({
    async pull(ctrl) {
      if (i >= PROBES) {
        // Held open like a running test's stream, a comment now and then.
        await new Promise((r) => timer = setTimeout(r, 5_000));
        ctrl.enqueue(enc.encode(": heartbeat\n\n"));
        return;
      }
      let out = "";
      for (const end = Math.min(PROBES, i + 2000); i < end; i++) {
        const lost = i % 1000 === 999;
        const sent_at = t0 + i * INTERVAL_MS;
        out += frame(next++, "probe", {
          timestamp: new Date(sent_at).toISOString(),
          target: "lo4",
          address: "127.0.0.1",
          index: i,
          seq: i & 0xffff,
          sent_at,
          rtt_ms: lost ? null : 0.2 + (i % 13) / 100,
          status: lost ? "lost" : "ok",
          ttl: lost ? null : 64,
          ts_source: "kernel",
        });
        if ((i + 1) % 10_000 === 0 || i === PROBES - 1) {
          out += frame(next++, "interval", {
            ...report("lo4", i + 1, sent_at),
            lost: Math.floor((i + 1) / 1000),
          });
        }
      }
      ctrl.enqueue(enc.encode(out));
    },
    cancel() {
      clearTimeout(timer);
    },
  });
}

/** A proxy to `base` that answers GET /api/tests/<id>/events itself. */
function proxy(base: string, id: string) {
  const ac = new AbortController();
  const t0 = Date.now() - PROBES * INTERVAL_MS;
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", signal: ac.signal, onListen() {} },
    async (req) => {
      const u = new URL(req.url);
      if (u.pathname === `/api/tests/${id}/events`) {
        // A reconnect resumes after the last event the page took.
        const after = Number(
          req.headers.get("last-event-id") ??
            u.searchParams.get("last_event_id") ?? 0,
        );
        if (after) console.error(`big_live: stream resumed after ${after}`);
        const body = syntheticEvents(t0, after);
        return new Response(body, {
          headers: {
            "content-type": "text/event-stream",
            "cache-control": "no-store",
          },
        });
      }
      const headers = new Headers(req.headers);
      headers.delete("host");
      return await fetch(base + u.pathname + u.search, {
        method: req.method,
        headers,
        body: req.body,
        redirect: "manual",
      });
    },
  );
  return {
    base: `http://127.0.0.1:${server.addr.port}`,
    close: async () => {
      ac.abort();
      await server.finished;
    },
  };
}

export async function liveMemoryRows(bench: string): Promise<BenchRow[]> {
  const server = await startServer(LOOPBACK_CONFIG());
  try {
    // A real running test for the page's header and status (loopback, 1/s,
    // bounded; the server stops it when the bench ends).
    const id = await postTest(server.base, {
      targets: ["lo4"],
      interval_ms: 1000,
      count: 600,
      timeout_ms: 1000,
    });
    const p = proxy(server.base, id);
    try {
      const out = await withChromium(async (browser) => {
        const page = await browser.newPage();
        const cdp = await page.context().newCDPSession(page);
        await cdp.send("Performance.enable");
        // Every frame's interval while the page takes the stream.
        await page.addInitScript(() => {
          const g = globalThis as unknown as { __frames: number[] };
          g.__frames = [];
          let last = performance.now();
          const tick = (t: number) => {
            g.__frames.push(t - last);
            last = t;
            if (g.__frames.length < 100_000) requestAnimationFrame(tick);
          };
          requestAnimationFrame(tick);
        });
        const t0 = performance.now();
        await page.goto(`${p.base}/tests/${id}`);
        // Until the last report (sent = every probe) is in the table.
        const sent = () =>
          page.textContent(
            "table[data-testid=summary] tr[data-target=lo4] td[data-col=sent]",
          );
        let last = "";
        for (let i = 0; i < 1800; i++) {
          const now = (await sent())?.trim() ?? "";
          if (now === String(PROBES)) break;
          if (i % 20 === 0) {
            const state = await page.evaluate(() => ({
              points: document.querySelector("[data-testid=chart]")
                ?.getAttribute("data-points"),
              heap: (performance as unknown as {
                memory?: { usedJSHeapSize: number };
              }).memory?.usedJSHeapSize,
            }));
            console.error(
              `big_live: ${now} probes in the table, ${state.points} chart points, heap ${state.heap}`,
            );
          }
          last = now;
          await new Promise((r) => setTimeout(r, 500));
        }
        if (
          last !== String(PROBES) && (await sent())?.trim() !== String(PROBES)
        ) {
          throw new Error(
            `the page took only ${last} of ${PROBES} probes in 15 min`,
          );
        }
        const feedMs = performance.now() - t0;
        // Let the last frame draw, then collect garbage and read the heap.
        await page.evaluate(() =>
          new Promise((r) =>
            requestAnimationFrame(() => requestAnimationFrame(r))
          )
        );
        const points = Number(
          await page.getAttribute("[data-testid=chart]", "data-points"),
        );
        const lost = Number(
          await page.getAttribute("[data-testid=chart]", "data-lost"),
        );
        const frames = await page.evaluate(() =>
          (globalThis as unknown as { __frames: number[] }).__frames
        );
        frames.sort((a, b) => a - b);
        const drawMs = {
          median: frames[frames.length >> 1] ?? NaN,
          p95: frames[Math.floor(frames.length * 0.95)] ?? NaN,
        };
        // Frame time at the end: the charts recreated and drawn in full (a
        // theme switch does that), to the next frame.
        const redrawMs = await page.evaluate(() => {
          const t = performance.now();
          document.dispatchEvent(new CustomEvent("pla-theme"));
          return new Promise<number>((r) =>
            requestAnimationFrame(() => r(performance.now() - t))
          );
        });
        await cdp.send("HeapProfiler.collectGarbage");
        const { metrics } = await cdp.send("Performance.getMetrics");
        const heap = metrics.find((m) => m.name === "JSHeapUsedSize")?.value ??
          NaN;
        await page.close();
        return { feedMs, points, lost, heap, drawMs, redrawMs };
      });
      if (!out) return [];
      const row = (figure: string, ours: string): BenchRow => ({
        bench,
        figure,
        ours,
        peer: "—",
        ratio: "—",
        target: "report",
        verdict: "—",
      });
      return [
        row(
          `live 8 h at 10 probes/s (${PROBES} probe events fed to the page over a synthetic SSE stream as fast as it takes them, ${
            num(out.feedMs / 1000, 1)
          } s): JS heap after GC, MiB`,
          num(out.heap / 1048576, 1),
        ),
        row(
          "live 8 h at 10 probes/s: chart points held (folded buckets + newest 10 min in full) / lost probes counted",
          `${out.points} / ${out.lost}`,
        ),
        row(
          "live 8 h at 10 probes/s: frame interval while the page takes the stream at ~18,000 events/s (a flood, not the live rate), median / p95, ms",
          `${num(out.drawMs.median, 1)} / ${num(out.drawMs.p95, 1)}`,
        ),
        row(
          "live 8 h at 10 probes/s, after the feed: both charts of the target recreated and drawn in full (theme switch) to the next frame, ms",
          num(out.redrawMs, 1),
        ),
      ];
    } finally {
      await p.close();
    }
  } finally {
    await server.stop();
  }
}
