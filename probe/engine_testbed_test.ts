// The probe engine (in process) and the probe CLI (as a subprocess) against
// the emulated link of probe/testbed: every figure is checked against the
// responder's truth file, probes matched to truth records by ICMP sequence.
// Packets go only to the bed's own 198.18.0.0/15 target; every run is bounded
// by --count.
import assert from "node:assert/strict";
import { Engine, type IcmpRun, type ProbeRun } from "./engine.ts";
import { computeStats } from "./statistics.ts";
import { runCommand } from "../testing/run_command.ts";
import { taskPermissions } from "../testing/deno_flags.ts";
import type {
  ProbeOutcome,
  ProbeRecord,
  ProbeSettings,
} from "../model/probe.ts";
import {
  createTestbed,
  type ResponderOptions,
  type Testbed,
  testbedUnavailableReason,
  type TruthRecord,
} from "../testing/testbed/testbed.ts";
import { gate } from "../testing/gate.ts";

const ignore = gate("engine test-bed tests", await testbedUnavailableReason());

const REPO = decodeURIComponent(new URL("..", import.meta.url).pathname);

// ---------------------------------------------------------------- helpers

/** Starts a responder bounded to the expected number of requests. */
function responder(bed: Testbed, count: number, opts: ResponderOptions) {
  return bed.startResponder({
    maxPackets: count + 20,
    maxSeconds: 30,
    ...opts,
  });
}

/** Truth by sequence; checks it is one prober's requests, each seen once. */
function truthBySeq(
  bed: Testbed,
  truth: TruthRecord[],
  count: number,
): Map<number, TruthRecord> {
  assert.equal(truth.length, count, "responder saw every request once");
  const ids = new Set(truth.map((r) => r.id));
  assert.equal(ids.size, 1, `one ICMP identifier, got ${[...ids]}`);
  const map = new Map<number, TruthRecord>();
  for (const r of truth) {
    assert.equal(r.src, bed.hostAddress);
    assert.equal(r.dst, bed.targetAddress);
    assert.ok(!map.has(r.seq), `seq ${r.seq} seen twice by the responder`);
    map.set(r.seq, r);
  }
  return map;
}

function truthOf(map: Map<number, TruthRecord>, seq: number): TruthRecord {
  const r = map.get(seq);
  assert.ok(r, `probe seq ${seq} has no truth record`);
  return r;
}

/** Nearest-rank quantile of a sorted array. */
function quantile(sorted: number[], q: number): number {
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)];
}

function median(sorted: number[]): number {
  const n = sorted.length;
  return n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

/** statistics.ts jitter_ms: mean |ΔRTT| over successive received replies in send order. */
function jitterOf(rttsInSendOrder: number[]): number | null {
  if (rttsInSendOrder.length < 2) return null;
  let sum = 0;
  for (let i = 1; i < rttsInSendOrder.length; i++) {
    sum += Math.abs(rttsInSendOrder[i] - rttsInSendOrder[i - 1]);
  }
  return sum / (rttsInSendOrder.length - 1);
}

/**
 * statistics.ts reordered, by its definition: over "ok" probes in arrival
 * order (ties by index), those whose index is lower than the highest index
 * that arrived before them. O(n²) on purpose: independent of the engine's pass.
 */
function reorderedOf(
  items: { index: number; arrival: number }[],
): number {
  const order = [...items].sort((a, b) =>
    a.arrival - b.arrival || a.index - b.index
  );
  let count = 0;
  let highest = -1;
  for (const it of order) {
    if (it.index < highest) count++;
    highest = Math.max(highest, it.index);
  }
  return count;
}

const settings = (
  count: number,
  timeout_ms: number,
  interval_ms = 5,
): ProbeSettings => ({ interval_ms, count, timeout_ms, size: 56 });

/** One in-process engine run against the bed; the engine is always closed. */
async function engineRun(bed: Testbed, s: ProbeSettings) {
  const engine = Engine.create();
  const records: ProbeRecord[] = [];
  let run: ProbeRun | undefined;
  // The live (incremental) statistics equal the reference computation after
  // every probe event, not just at the end.
  const sameAsReference = (r: ProbeRun) =>
    assert.deepStrictEqual(r.stats(0), computeStats(r.outcomes(0)));
  try {
    run = await engine.run(
      [{ target: "bed", host: bed.targetAddress }],
      s,
      {
        onProbe: (r) => {
          records.push(r);
          if (run) sameAsReference(run);
        },
      },
    );
    await run.done;
    sameAsReference(run);
    // Every slot change went through the accumulator: no fallback to a full
    // recomputation was needed.
    assert.ok(
      (run as IcmpRun).states[0].stats.incremental,
      "statistics stayed incremental",
    );
    return { stats: run.stats(0), outcomes: [...run.outcomes(0)], records };
  } finally {
    await engine.close();
  }
}

// ------------------------------------------------------------------ tests

Deno.test({
  name:
    "engine×testbed: CLI on a lossy, jittery link reports exact loss, RTTs within 0.1 ms of the truth, jitter as defined",
  ignore,
  async fn() {
    const count = 300;
    await using bed = await createTestbed();
    const resp = await responder(bed, count, {
      loss: 0.2,
      delayMs: 3,
      jitterMs: 1,
      seed: 4242,
    });
    const out = await runCommand(Deno.execPath(), [
      "run",
      ...taskPermissions("probe"),
      "probe/cli.ts",
      "--host",
      bed.targetAddress,
      "--interval",
      "5ms",
      "--count",
      String(count),
      "--timeout",
      "200ms",
      "--output",
      "json",
      "--per-probe",
    ], { cwd: REPO });
    const truth = await resp.stop();
    assert.equal(out.code, 0, `CLI exit ${out.code}: ${out.stderr}`);
    const lines = out.stdout.split("\n")
      .filter((l) => l.trim()).map((l) => JSON.parse(l));
    // Records come as probes resolve (a loss only at its timeout): send order.
    const probes = (lines.filter((l) => l.type === "probe") as ProbeRecord[])
      .sort((a, b) => a.index - b.index);
    const summaries = lines.filter((l) => l.type === "summary");
    assert.equal(summaries.length, 1, "one summary line");
    const summary = summaries[0];

    const t = truthBySeq(bed, truth, count);
    const dropped = truth.filter((r) => r.action === "drop");
    const replied = truth.filter((r) => r.action === "reply");
    assert.equal(truth.filter((r) => r.action === "unreach").length, 0);
    assert.ok(truth.every((r) => r.replies === (r.action === "reply" ? 1 : 0)));
    console.log(
      `truth: ${dropped.length} dropped, ${replied.length} replied; summary: sent ${summary.sent} received ${summary.received} lost ${summary.lost}`,
    );
    assert.ok(dropped.length > 20, `implausibly few drops ${dropped.length}`);
    assert.equal(summary.sent, count);
    assert.equal(summary.pending, 0);
    assert.equal(summary.lost, dropped.length, "lost == truth drops, exactly");
    assert.equal(summary.received, replied.length, "received == truth replies");
    assert.equal(summary.late, 0);
    assert.equal(summary.errors, 0);
    assert.equal(summary.duplicates, 0);

    // One final record per probe; the lost ones are exactly the dropped ones.
    assert.equal(probes.length, count);
    assert.deepEqual(
      probes.map((p) => p.index),
      Array.from({ length: count }, (_, i) => i),
    );
    for (const p of probes) {
      const r = truthOf(t, p.seq);
      assert.equal(
        p.status,
        r.action === "drop" ? "lost" : "ok",
        `seq ${p.seq}: status ${p.status}, truth ${r.action}`,
      );
    }

    // RTT − time the responder held the request = the link's own transit.
    const ok = probes.filter((p) => p.status === "ok");
    const kernel = ok.filter((p) => p.ts_source === "kernel").length;
    const errors = ok.map((p) =>
      p.rtt_ms! - truthOf(t, p.seq).held_us[0] / 1000
    )
      .sort((a, b) => a - b);
    const med = median(errors);
    const p99 = quantile(errors, 0.99);
    const inBand = errors.filter((e) => e >= -0.0005 && e <= 0.1).length;
    console.log(
      `RTT − held (ms, n=${errors.length}, ${kernel} kernel-stamped): min ${
        errors[0].toFixed(4)
      } median ${med.toFixed(4)} p99 ${p99.toFixed(4)} max ${
        errors[errors.length - 1].toFixed(4)
      }; ${inBand} within [0, 0.1]`,
    );
    assert.ok(errors[0] >= -0.0005, `negative RTT − held ${errors[0]} ms`);
    assert.ok(med < 0.03, `median RTT error ${med} ms`);
    assert.ok(p99 < 0.2, `p99 RTT error ${p99} ms`);
    assert.ok(
      inBand >= 0.95 * errors.length,
      `only ${inBand}/${errors.length} within [0, 0.1] ms`,
    );

    // Jitter as statistics.ts defines it, from the per-probe RTTs.
    const jitter = jitterOf(ok.map((p) => p.rtt_ms!));
    assert.ok(jitter !== null && summary.jitter_ms !== null);
    console.log(`jitter: summary ${summary.jitter_ms}, recomputed ${jitter}`);
    assert.ok(
      Math.abs(summary.jitter_ms - jitter) <= 0.001,
      `jitter ${summary.jitter_ms} vs ${jitter}`,
    );
  },
});

Deno.test({
  name:
    "engine×testbed: duplicates are counted exactly and never as extra receptions",
  ignore,
  async fn() {
    const count = 300;
    await using bed = await createTestbed();
    const resp = await responder(bed, count, {
      dup: 0.1,
      dupGapMs: 1,
      delayMs: 1,
      seed: 77,
    });
    const { stats, outcomes } = await engineRun(bed, settings(count, 200));
    const truth = await resp.stop();
    const t = truthBySeq(bed, truth, count);
    const dups = truth.filter((r) => r.replies === 2);
    console.log(
      `dup: truth ${dups.length} duplicated; stats duplicates ${stats.duplicates} received ${stats.received}`,
    );
    assert.ok(dups.length > 10, `only ${dups.length} duplicated`);
    assert.ok(truth.every((r) => r.action === "reply" && r.unsent === 0));
    for (const o of outcomes) {
      const r = truthOf(t, o.seq);
      assert.equal(o.status, "ok", `seq ${o.seq}`);
      assert.equal(o.duplicates, r.replies - 1, `duplicates of seq ${o.seq}`);
    }
    assert.equal(stats.duplicates, dups.length);
    assert.equal(stats.received, count, "a duplicate is not a reception");
    assert.equal(stats.sent, count);
    assert.equal(stats.lost, 0);
  },
});

Deno.test({
  name: "engine×testbed: a duplicate of the last probe still counts",
  ignore,
  async fn() {
    await using bed = await createTestbed();
    const resp = await responder(bed, 3, {
      dup: 1,
      dupGapMs: 5,
      delayMs: 1,
      seed: 1,
    });
    const { stats, outcomes } = await engineRun(bed, settings(3, 200));
    await resp.stop();
    assert.deepEqual(outcomes.map((o) => o.duplicates), [1, 1, 1]);
    assert.equal(stats.duplicates, 3);
    assert.equal(stats.received, 3);
  },
});

Deno.test({
  name:
    "engine×testbed: the CLI counts a duplicate that comes after the last reply within --linger, and ends long before the timeout",
  ignore,
  async fn() {
    await using bed = await createTestbed();
    // Every reply is sent twice, 100 ms apart: the last probe's duplicate
    // comes 100 ms after the last reply, when every outcome is known.
    const resp = await responder(bed, 3, {
      dup: 1,
      dupGapMs: 100,
      delayMs: 1,
      seed: 3,
    });
    const t0 = performance.now();
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-ffi",
        "--allow-read",
        "--allow-net",
        "--allow-env",
        "--allow-sys",
        "probe/cli.ts",
        "--host",
        bed.targetAddress,
        "--count",
        "3",
        "--interval",
        "10ms",
        "--timeout",
        "10s",
        "--linger",
        "1s",
        "--output",
        "json",
        "--per-probe",
      ],
      cwd: REPO,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const wallMs = performance.now() - t0;
    const truth = await resp.stop();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, `CLI exit ${out.code}: ${stderr}`);
    assert.ok(truth.every((r) => r.replies === 2), "responder duplicated all");
    const lines = new TextDecoder().decode(out.stdout).split("\n")
      .filter((l) => l.trim()).map((l) => JSON.parse(l));
    const dups = lines.filter((l) =>
      l.type === "probe" && l.status === "duplicate"
    );
    assert.deepEqual(dups.map((d) => d.index).sort(), [0, 1, 2]);
    const summary = lines.find((l) => l.type === "summary");
    assert.equal(summary.duplicates, 3);
    assert.equal(summary.received, 3);
    // Ended by the linger (1 s after the last reply), not the 10 s timeout.
    assert.ok(wallMs < 6000, `CLI took ${wallMs.toFixed(0)} ms`);
  },
});

Deno.test({
  name:
    "engine×testbed: reordered replies are counted as statistics.ts defines",
  ignore,
  async fn() {
    const count = 300;
    await using bed = await createTestbed();
    const resp = await responder(bed, count, {
      reorder: 0.1,
      reorderMs: 20,
      delayMs: 1,
      seed: 9,
    });
    const { stats, outcomes } = await engineRun(bed, settings(count, 200));
    const truth = await resp.stop();
    const t = truthBySeq(bed, truth, count);
    const ok = outcomes.filter((o) => o.status === "ok");
    assert.equal(ok.length, count);
    const fromOutcomes = reorderedOf(
      ok.map((o) => ({ index: o.index, arrival: o.received_ms! })),
    );
    // Arrival order by the truth: the responder's kernel TX stamps (one link,
    // so arrival order = TX order when TX times are this far apart).
    const fromTruth = reorderedOf(
      ok.map((o) => ({
        index: o.index,
        arrival: Number(truthOf(t, o.seq).tx_ns[0]),
      })),
    );
    const truthReordered = truth.filter((r) => r.reordered).length;
    console.log(
      `reorder: stats ${stats.reordered}, from outcomes ${fromOutcomes}, from truth TX order ${fromTruth}, truth held back ${truthReordered}`,
    );
    assert.ok(stats.reordered > 0);
    assert.equal(stats.reordered, fromOutcomes);
    assert.equal(stats.reordered, fromTruth);
    // Every held-back reply but possibly the very last probe's is overtaken.
    assert.ok(
      stats.reordered >= truthReordered - 1 &&
        stats.reordered <= truthReordered,
      `${stats.reordered} reordered vs ${truthReordered} held back`,
    );
  },
});

Deno.test({
  name:
    "engine×testbed: replies after a short timeout are late, and late + unanswered == lost",
  ignore,
  async fn() {
    const count = 300;
    const timeout = 4;
    await using bed = await createTestbed();
    const resp = await responder(bed, count, {
      loss: 0.1,
      delayMs: 3,
      jitterMs: 2,
      seed: 31,
    });
    const { stats, outcomes } = await engineRun(
      bed,
      settings(count, timeout),
    );
    const truth = await resp.stop();
    const t = truthBySeq(bed, truth, count);
    const unanswered = truth.filter((r) => r.action === "drop").length;
    // A run ends when its last probe's timeout has passed, so a late reply
    // to the LAST probe is never seen. The seed gives it a timely reply or a drop.
    const last = truthOf(t, outcomes.at(-1)!.seq);
    assert.ok(
      last.action === "drop" || last.held_us[0] < (timeout - 0.5) * 1000,
      `seed premise: last probe held ${last.held_us[0]} µs`,
    );
    let lateByRtt = 0;
    let okCount = 0;
    for (const o of outcomes) {
      const r = truthOf(t, o.seq);
      if (r.action === "drop") {
        assert.equal(o.status, "lost", `dropped seq ${o.seq}`);
        continue;
      }
      assert.ok(
        o.status === "ok" || o.status === "late",
        `seq ${o.seq} answered (held ${r.held_us[0]} µs) but ${o.status}`,
      );
      assert.ok(o.rtt_ms !== null);
      const err = o.rtt_ms - r.held_us[0] / 1000;
      assert.ok(err >= -0.0005 && err < 0.5, `seq ${o.seq}: RTT − held ${err}`);
      // The engine's own classification: late iff its RTT exceeds the timeout.
      assert.equal(
        o.status,
        o.rtt_ms > timeout ? "late" : "ok",
        `seq ${o.seq} rtt ${o.rtt_ms}`,
      );
      if (o.rtt_ms > timeout) lateByRtt++;
      else okCount++;
    }
    const heldOver = truth.filter((r) =>
      r.action === "reply" && r.held_us[0] / 1000 > timeout
    ).length;
    console.log(
      `late: stats late ${stats.late} lost ${stats.lost}; by RTT ${lateByRtt}, truth held > ${timeout} ms ${heldOver}, dropped ${unanswered}`,
    );
    assert.ok(stats.late > 0);
    assert.equal(stats.late, lateByRtt);
    assert.equal(stats.received, okCount);
    assert.equal(stats.late + unanswered, stats.lost);
    assert.equal(stats.sent, count);
  },
});

Deno.test({
  name:
    "engine×testbed: destination unreachable answers are errors with ICMP type 3",
  ignore,
  async fn() {
    const count = 300;
    await using bed = await createTestbed();
    const resp = await responder(bed, count, { unreach: 0.2, seed: 5 });
    const { stats, outcomes, records } = await engineRun(
      bed,
      settings(count, 200),
    );
    const truth = await resp.stop();
    const t = truthBySeq(bed, truth, count);
    const unreach = truth.filter((r) => r.action === "unreach");
    console.log(
      `unreach: truth ${unreach.length}, stats errors ${stats.errors} received ${stats.received}`,
    );
    assert.ok(unreach.length > 20, `only ${unreach.length} unreach`);
    for (const o of outcomes as (ProbeOutcome & { seq: number })[]) {
      const r = truthOf(t, o.seq);
      assert.equal(o.status, r.action === "unreach" ? "error" : "ok");
    }
    assert.equal(stats.errors, unreach.length);
    assert.equal(stats.received, count - unreach.length);
    assert.equal(stats.lost, unreach.length);
    const errs = records.filter((r) => r.status === "error");
    assert.equal(errs.length, unreach.length);
    for (const e of errs) {
      assert.ok(e.icmp, `error record seq ${e.seq} without icmp`);
      assert.equal(e.icmp.type, 3);
      assert.equal(e.icmp.from, bed.targetAddress);
      assert.equal(truthOf(t, e.seq).action, "unreach");
    }
  },
});
