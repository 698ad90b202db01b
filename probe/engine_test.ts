// The engine through the real shim, against loopback only.
import assert from "node:assert/strict";
import { Engine } from "./engine.ts";
import { HostResolveError } from "./resolve_target.ts";
import { IcmpSocket } from "./icmp_socket.ts";
import type { ProbeRecord } from "../model/probe.ts";

const settings = { interval_ms: 5, count: 20, timeout_ms: 500, size: 56 };

Deno.test("IPv4 and IPv6 loopback: every probe answered, kernel timestamps, exact counts", async () => {
  const engine = Engine.create();
  try {
    const records: ProbeRecord[] = [];
    const run = await engine.run(
      [{ target: "v4", host: "127.0.0.1" }, { target: "v6", host: "::1" }],
      settings,
      { onProbe: (r) => records.push(r) },
    );
    await run.done;
    for (const [i, name] of ["v4", "v6"].entries()) {
      const s = run.stats(i);
      assert.equal(s.sent, 20);
      assert.equal(s.received, 20);
      assert.equal(s.loss_pct, 0);
      assert.equal(s.duplicates, 0);
      const mine = records.filter((r) => r.target === name);
      assert.equal(mine.length, 20);
      assert.deepEqual(mine.map((r) => r.index), [...Array(20).keys()]);
      // Wire sequence numbers are consecutive per address.
      for (let k = 1; k < mine.length; k++) {
        assert.equal(mine[k].seq, (mine[k - 1].seq + 1) & 0xffff);
      }
      for (const r of mine) {
        assert.equal(r.status, "ok");
        assert.equal(r.ts_source, "kernel");
        assert.ok(
          r.rtt_ms !== null && r.rtt_ms > 0 && r.rtt_ms < 50,
          `rtt ${r.rtt_ms}`,
        );
        assert.ok(r.ttl !== null && r.ttl > 0);
      }
      // Sends are spread at the interval, not bunched: the engine never
      // runs ahead of its schedule, on which a target's probes are an
      // interval apart, less what a pass sends late (up to 5 ms) or early
      // (1 ms). A busy machine only makes the span longer.
      const span = mine.at(-1)!.sent_at - mine[0].sent_at;
      assert.ok(span >= 19 * 5 - 15, `20 probes at 5 ms over ${span} ms`);
    }
    assert.equal(run.targets[1].family, 6);
  } finally {
    await engine.close();
  }
});

Deno.test("stop() halts sending at once and the run completes", async () => {
  const engine = Engine.create();
  try {
    const run = await engine.run([{ target: "lo", host: "127.0.0.1" }], {
      interval_ms: 10,
      count: 100_000,
      timeout_ms: 200,
      size: 56,
    });
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, 100));
    run.stop();
    const sentAtStop = run.outcomes(0).length;
    const elapsed = performance.now() - t0;
    await run.done;
    assert.equal(run.outcomes(0).length, sentAtStop, "no probe after stop");
    // However late the timer fired, never more than the schedule allows.
    assert.ok(
      sentAtStop >= 1 && sentAtStop <= elapsed / 10 + 2,
      `sent ${sentAtStop} in ${elapsed} ms`,
    );
    assert.equal(run.stats(0).pending, 0);
    assert.equal(engine.activeRuns, 0);
  } finally {
    await engine.close();
  }
});

Deno.test("two runs on one address share the wire sequence without confusion", async () => {
  const engine = Engine.create();
  try {
    const a = await engine.run([{ target: "a", host: "127.0.0.1" }], settings);
    const b = await engine.run([{ target: "b", host: "127.0.0.1" }], settings);
    await Promise.all([a.done, b.done]);
    assert.equal(a.stats(0).received, 20);
    assert.equal(b.stats(0).received, 20);
    assert.equal(a.stats(0).duplicates + b.stats(0).duplicates, 0);
    const seqs = new Set(
      [...a.outcomes(0), ...b.outcomes(0)].map((s) => s.seq),
    );
    assert.equal(seqs.size, 40);
  } finally {
    await engine.close();
  }
});

Deno.test("a run ends at its last probe's timeout by default, at once with lingerMs 0", async () => {
  const engine = Engine.create();
  try {
    const quick = { interval_ms: 10, count: 3, timeout_ms: 2000, size: 56 };
    const host = [{ target: "lo", host: "127.0.0.1" }];
    let t0 = performance.now();
    const settled = await engine.run(host, quick, { lingerMs: 0 });
    await settled.done;
    const settledMs = performance.now() - t0;
    assert.equal(settled.stats(0).received, 3);
    // Three replies within ~25 ms; the 2 s timeout plays no part.
    assert.ok(settledMs < 1500, `lingerMs 0: done after ${settledMs} ms`);

    t0 = performance.now();
    const listening = await engine.run(host, { ...quick, timeout_ms: 300 });
    await listening.done;
    const listenedMs = performance.now() - t0;
    assert.equal(listening.stats(0).received, 3);
    // 20 ms of sends, then the last probe's 300 ms timeout.
    assert.ok(listenedMs >= 300, `default: done after ${listenedMs} ms`);

    await assert.rejects(engine.run(host, quick, { lingerMs: -1 }), RangeError);
  } finally {
    await engine.close();
  }
});

Deno.test("an unresolvable host is refused before anything is sent", async () => {
  const engine = Engine.create();
  try {
    await assert.rejects(
      engine.run([{ target: "x", host: "no-such-host.invalid" }], settings),
      HostResolveError,
    );
    await assert.rejects(
      engine.run([{ target: "x", host: "bad host!" }], settings),
      /not an IP address/,
    );
    assert.equal(engine.activeRuns, 0);
  } finally {
    await engine.close();
  }
});

Deno.test("the shim's decoder rejects malformed and foreign packets", async () => {
  const sock = IcmpSocket.create();
  try {
    sock.open(4);
    sock.open(6);
    const ident = sock.ident(4);
    // A well-formed raw IPv4 echo reply with our identifier but without our cookie: foreign.
    const pkt = new Uint8Array(20 + 8 + 16);
    pkt.set([
      0x45,
      0,
      0,
      pkt.length,
      0,
      0,
      0,
      0,
      64,
      1,
      0,
      0,
      127,
      0,
      0,
      1,
      127,
      0,
      0,
      1,
    ]);
    pkt.set([0, 0, 0, 0, ident >> 8, ident & 0xff, 0, 7], 20);
    assert.equal(sock.decode(4, "raw", pkt), null);
    // The same as a ping-socket reply (kernel matched the identifier) is accepted without a token.
    const ev = sock.decode(4, "dgram", pkt.subarray(20));
    assert.ok(ev);
    assert.equal(ev.seq, 7);
    assert.equal(ev.hasToken, false);
    // Random and truncated input never crashes and is never taken as ours on raw sockets.
    let seed = 42;
    const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff;
    for (let i = 0; i < 3000; i++) {
      const len = rand() % 120;
      const junk = new Uint8Array(len).map(rand);
      if (len > 0) junk[0] = i % 2 ? 0x45 : 0x60; // look like IPv4 / IPv6
      assert.equal(sock.decode(i % 2 ? 4 : 6, "raw", junk), null);
    }
    for (let cut = 0; cut < pkt.length; cut++) {
      assert.equal(sock.decode(4, "raw", pkt.subarray(0, cut)), null);
    }
  } finally {
    await sock.close();
  }
});

Deno.test("an error in the loop fails the runs in progress, not the process; the engine goes on", async () => {
  const engine = Engine.create();
  try {
    let seen = 0;
    const doomed = await engine.run(
      [{ target: "v4", host: "127.0.0.1" }],
      { ...settings, count: 50 },
      {
        onProbe: () => {
          if (++seen === 3) throw new Error("consumer broke");
        },
      },
    );
    const bystander = await engine.run(
      [{ target: "v6", host: "::1" }],
      { ...settings, count: 1000 },
    );
    await assert.rejects(doomed.done, /probe engine stopped: consumer broke/);
    await assert.rejects(bystander.done, /consumer broke/);
    assert.equal(engine.activeRuns, 0);
    // A new run on the same engine works from a clean state.
    const next = await engine.run([{ target: "v4", host: "127.0.0.1" }], {
      ...settings,
      count: 5,
    });
    await next.done;
    assert.equal(next.stats(0).received, 5);
  } finally {
    await engine.close();
  }
});
