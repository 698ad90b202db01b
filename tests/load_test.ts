// Bounded load on loopback against the real server process: 20 simultaneous
// tests (two targets each: a 127.x address and ::1) for a minute, 200 SSE
// clients over real sockets. Memory stays bounded (live heap after full GCs,
// VmRSS levelling off), every client gets every event 1..N in order, and
// loopback loses nothing.
import assert from "node:assert/strict";
import {
  getJson,
  postTest,
  sleep,
  startServer,
  stopServer,
} from "../testing/server_process.ts";
import { readSse } from "../testing/sse.ts";
import { runCommand } from "../testing/run_command.ts";

const TESTS = 20;
const CLIENTS_PER_TEST = 10;
const INTERVAL_MS = 50;
const DURATION_S = 60;
const COUNT = DURATION_S * 1000 / INTERVAL_MS;
/** Ceilings: ~3x what this load needs (live heap ~35 MB, RSS ~180 MiB). */
const LIVE_HEAP_MB = 96;
const RSS_MIB = 400;
const LATE_GROWTH_MIB = 32;

const CONFIG = [
  "servers:",
  ...Array.from(
    { length: TESTS },
    (_, t) => `  - { id: v4-${t}, name: V4 ${t}, host: 127.0.0.${t + 1} }`,
  ),
  '  - { id: v6, name: V6, host: "::1" }',
  // Generous admission limits (keys a build without them ignores): every test
  // and client comes from one loopback address.
  `limits: { min_interval_ms: 1, max_concurrent_tests: ${TESTS}, max_tests_per_user: ${TESTS}, max_pps: 5000, max_sse_per_client: 1000 }`,
  "",
].join("\n");

interface ClientResult {
  events: number;
  probes: number;
  inOrder: boolean;
  last: string;
}

/** Follows one test's stream to its end, checking ids run 1, 2, 3, ... */
async function follow(url: string): Promise<ClientResult> {
  const r: ClientResult = { events: 0, probes: 0, inOrder: true, last: "" };
  await readSse(url, (events) => {
    for (const e of events) {
      if (e.id !== r.events + 1) r.inOrder = false;
      r.events++;
      if (e.event === "probe") r.probes++;
      r.last = e.event;
    }
  });
  return r;
}

/** Resident set size of a process, in MiB (Deno guards /proc behind --allow-all: ask ps). */
async function rssMiB(pid: number): Promise<number> {
  const out = await runCommand("ps", ["-o", "rss=", "-p", String(pid)]);
  const kb = Number(out.stdout.trim());
  if (out.code !== 0 || !Number.isFinite(kb)) {
    throw new Error(`ps: no RSS for ${pid}`);
  }
  return kb / 1024;
}

Deno.test({
  name: `load: ${TESTS} tests x 2 loopback targets for ${DURATION_S} s, ${
    TESTS * CLIENTS_PER_TEST
  } SSE clients`,
  ignore: Deno.build.os !== "linux",
  async fn() {
    const dir = await Deno.makeTempDir();
    const server = await startServer({
      dir,
      config: CONFIG,
      v8Flags: "--trace-gc",
    });
    const pid = server.child.pid;
    const rss: { at: number; mib: number }[] = [];
    let sampling = true;
    const t0 = performance.now();
    let samplerError: unknown = null;
    const sampler = (async () => {
      while (sampling) {
        rss.push({
          at: (performance.now() - t0) / 1000,
          mib: await rssMiB(pid),
        });
        await sleep(1000);
      }
    })().catch((e) => samplerError = e);
    try {
      const ids: string[] = [];
      for (let t = 0; t < TESTS; t++) {
        ids.push(
          await postTest(server.base, {
            targets: [`v4-${t}`, "v6"],
            interval_ms: INTERVAL_MS,
            count: COUNT,
            timeout_ms: 1000,
          }),
        );
      }
      const clients = ids.flatMap((id) =>
        Array.from(
          { length: CLIENTS_PER_TEST },
          () => follow(`${server.base}/api/tests/${id}/events`),
        )
      );
      const results = await Promise.all(clients);
      sampling = false;
      await sampler;
      if (samplerError) throw samplerError;

      for (let t = 0; t < TESTS; t++) {
        const meta = await getJson(`${server.base}/api/tests/${ids[t]}`);
        assert.equal(meta.status, "completed", ids[t]);
        // Loopback loses nothing: every probe answered, in time, once.
        for (const s of meta.summary as Record<string, number>[]) {
          assert.deepEqual(
            [s.sent, s.received, s.lost, s.late, s.errors, s.duplicates],
            [COUNT, COUNT, 0, 0, 0, 0],
            `test ${t} target ${s.target}`,
          );
        }
        const mine = results.slice(
          t * CLIENTS_PER_TEST,
          (t + 1) * CLIENTS_PER_TEST,
        );
        for (const c of mine) {
          assert.ok(c.inOrder, `test ${t}: ids out of order`);
          assert.equal(c.last, "end");
          assert.equal(c.probes, 2 * COUNT);
          assert.equal(
            c.events,
            mine[0].events,
            `test ${t}: same events for all`,
          );
        }
      }
      // Memory stays bounded. Live JS heap after each full GC (V8's
      // --trace-gc "Mark-Compact A (B) -> LIVE (C) MB") is ~35 MB here: a
      // running test keeps its probe outcomes (exact percentiles need every
      // RTT) and only its newest 1000 events (test_runner_test checks that
      // window). A copy of the stream per client (200 of them) would blow
      // through LIVE_HEAP_MB; RSS must level off and stay under RSS_MIB.
      const line = rss.map((s) => Math.round(s.mib)).join(" ");
      const live = [
        ...server.output().matchAll(
          /Mark-Compact [\d.]+ \([\d.]+\) -> ([\d.]+) \(/g,
        ),
      ].map((m) => Number(m[1]));
      console.log(`server RSS MiB, one sample a second: ${line}`);
      console.log(`live heap after full GCs, MB: ${live.join(" ")}`);
      assert.ok(
        live.every((mb) => mb <= LIVE_HEAP_MB),
        `live heap above ${LIVE_HEAP_MB} MB: ${live.join(" ")}`,
      );
      assert.ok(
        rss.every((s) => s.mib <= RSS_MIB),
        `RSS above ${RSS_MIB} MiB: ${line}`,
      );
      const end = rss.at(-1)!.at;
      const before = rss.filter((s) => s.at >= end - 25 && s.at < end - 20);
      assert.ok(before.length >= 3 && end > 45, line);
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      const growth = mean(rss.slice(-5).map((s) => s.mib)) -
        mean(before.map((s) => s.mib));
      assert.ok(
        growth <= LATE_GROWTH_MIB,
        `RSS grew ${growth.toFixed(1)} MiB in the last 20 s: ${line}`,
      );
      assert.equal((await stopServer(server)).code, 0);
    } finally {
      sampling = false;
      await stopServer(server, "SIGKILL");
      await Deno.remove(dir, { recursive: true });
    }
  },
});
