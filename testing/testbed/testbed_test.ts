// Tests of the link-emulation test bed itself, independent of the probe
// engine: a test-only raw-socket sender (echo_client.c) probes the responder
// and every result is checked against the responder's truth file.
import assert from "node:assert/strict";
import {
  createTestbed,
  type EchoClientReply,
  isTestbedAddress,
  parseTruth,
  runEchoClient,
  testbedUnavailableReason,
  type TruthRecord,
} from "./testbed.ts";
import { gate } from "../gate.ts";
import { runCommand } from "../run_command.ts";

const ignore = gate("testbed tests", await testbedUnavailableReason());

function randomId(): number {
  return 1 + Math.floor(Math.random() * 65534);
}

function bySeq(truth: TruthRecord[]): Map<number, TruthRecord> {
  return new Map(truth.map((r) => [r.seq, r]));
}

function seqSet(xs: { seq: number }[]): Set<number> {
  return new Set(xs.map((x) => x.seq));
}

function sorted(xs: Iterable<number>): number[] {
  return [...xs].sort((a, b) => a - b);
}

function stats(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  const median = s.length % 2
    ? s[(s.length - 1) / 2]
    : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  return { median, max: s[s.length - 1], min: s[0], n: s.length };
}

/** RTT − held (µs) for every reply, pairing the i-th reply of a seq with the i-th truth TX. */
function transitErrors(
  replies: EchoClientReply[],
  truth: TruthRecord[],
): number[] {
  const t = bySeq(truth);
  const nth = new Map<number, number>();
  return replies.map((r) => {
    const i = nth.get(r.seq) ?? 0;
    nth.set(r.seq, i + 1);
    const rec = t.get(r.seq);
    assert.ok(rec, `reply for seq ${r.seq} has no truth record`);
    assert.ok(
      i < rec.held_us.length,
      `seq ${r.seq}: more replies than the truth sent`,
    );
    return r.rtt_ns / 1000 - rec.held_us[i];
  });
}

const fmt = (x: number) => x.toFixed(1);

Deno.test({
  name: "testbed: parseTruth keeps nanosecond timestamps exact",
  fn() {
    const [r] = parseTruth(
      '{"k":0,"seq":1,"id":2,"src":"198.18.0.1","dst":"198.18.0.2","bytes":64,"action":"reply","replies":2,' +
        '"rx_ns":1795636312614846397,"rx_ts":"kernel","tx_ns":[1795636312622298941,1795636312622298943],' +
        '"held_us":[7452.544,7452.546],"tx_ts":"kernel","planned_delay_us":6603.043,"planned_replies":2,' +
        '"reordered":false,"unsent":0,"send_errors":0}\n',
    );
    assert.equal(r.rx_ns, 1795636312614846397n);
    assert.deepEqual(r.tx_ns, [1795636312622298941n, 1795636312622298943n]);
    assert.equal(r.held_us[1], 7452.546);
    assert.equal(isTestbedAddress("198.19.255.254"), true);
    assert.equal(isTestbedAddress("198.20.0.1"), false);
    assert.equal(isTestbedAddress("10.0.0.1"), false);
  },
});

Deno.test({
  name:
    "testbed: kernel echo bed answers, namespace and veth are removed on destroy",
  ignore,
  async fn() {
    const bed = await createTestbed({ kernelEcho: true });
    try {
      assert.ok(
        isTestbedAddress(bed.hostAddress) &&
          isTestbedAddress(bed.targetAddress),
      );
      assert.ok(bed.hostIf.length <= 15 && bed.targetIf.length <= 15);
      const res = await runEchoClient(bed.targetAddress, {
        count: 20,
        intervalMs: 2,
        waitMs: 100,
        id: randomId(),
      });
      assert.equal(res.replies.length, 20);
      assert.ok(
        res.replies.every((r) =>
          r.cksum_ok && r.payload_ok && r.from === bed.targetAddress
        ),
      );
      const rtt = stats(res.replies.map((r) => r.rtt_ns / 1000));
      console.log(
        `kernel echo RTT µs: median ${fmt(rtt.median)} max ${fmt(rtt.max)}`,
      );
    } finally {
      await bed.destroy();
      await bed.destroy(); // idempotent
    }
    const list = await runCommand("ip", ["netns", "list"]);
    assert.ok(
      !list.stdout.includes(bed.nsName),
      "namespace still listed",
    );
    const link = await runCommand("ip", ["link", "show", "dev", bed.hostIf]);
    assert.notEqual(link.code, 0, "host veth end still exists");
  },
});

Deno.test({
  name:
    "testbed: loss is exact and reproducible (--loss 0.3 --seed 7, 200 requests)",
  ignore,
  async fn() {
    await using bed = await createTestbed();
    const runOnce = async (seed: number) => {
      const responder = await bed.startResponder({
        loss: 0.3,
        seed,
        maxPackets: 200,
        maxSeconds: 20,
      });
      const res = await runEchoClient(bed.targetAddress, {
        count: 200,
        intervalMs: 5,
        waitMs: 150,
        id: randomId(),
      });
      const truth = await responder.stop();
      return { res, truth };
    };
    const { res, truth } = await runOnce(7);
    assert.equal(res.summary.sent, 200);
    assert.equal(truth.length, 200, "responder saw every request");
    const dropped = truth.filter((r) => r.action === "drop");
    const replied = seqSet(res.replies);
    const missing = res.sent.filter((s) => !replied.has(s.seq));
    console.log(
      `loss: ${dropped.length} dropped by truth, ${missing.length} missing at the client`,
    );
    assert.equal(missing.length, dropped.length);
    assert.deepEqual(sorted(seqSet(missing)), sorted(seqSet(dropped)));
    assert.equal(
      res.replies.length,
      200 - dropped.length,
      "no duplicates without --dup",
    );
    assert.ok(
      dropped.length > 30 && dropped.length < 90,
      `implausible loss count ${dropped.length}`,
    );
    assert.ok(truth.every((r) => r.rx_ts === "kernel" && r.tx_ts === "kernel"));

    // Same seed, same fates (by order of receipt); another seed differs.
    const again = await runOnce(7);
    assert.deepEqual(
      again.truth.map((r) => r.action),
      truth.map((r) => r.action),
    );
    const other = await runOnce(8);
    assert.notDeepEqual(
      other.truth.map((r) => r.action),
      truth.map((r) => r.action),
    );
  },
});

Deno.test({
  name:
    "testbed: RTT tracks the truth's held time (--delay-ms 5 --jitter-ms 2)",
  ignore,
  async fn() {
    await using bed = await createTestbed();
    const responder = await bed.startResponder({
      delayMs: 5,
      jitterMs: 2,
      seed: 1,
      maxPackets: 150,
      maxSeconds: 20,
    });
    const res = await runEchoClient(bed.targetAddress, {
      count: 150,
      intervalMs: 10,
      waitMs: 100,
      id: randomId(),
    });
    const truth = await responder.stop();
    assert.equal(res.replies.length, 150);
    assert.ok(
      res.sent.every((s) => s.tx_ts === "kernel"),
      "client TX stamps from the kernel",
    );
    assert.ok(
      truth.every((r) => r.tx_ts === "kernel" && r.rx_ts === "kernel"),
      "truth stamps from the kernel",
    );
    const diff = transitErrors(res.replies, truth);
    const d = stats(diff);
    console.log(
      `RTT − held (µs, n=${d.n}): median ${d.median.toFixed(2)} max ${
        d.max.toFixed(2)
      } min ${d.min.toFixed(2)}`,
    );
    // Both ends are kernel stamps: the transit is a few µs, never negative.
    // A busy core can hold one reply a few hundred µs (241 seen in CI), so
    // the accuracy is checked at the median and the 95th percentile.
    for (const x of diff) {
      assert.ok(x >= 0 && x <= 2000, `RTT − held = ${x} µs out of [0, 2000]`);
    }
    assert.ok(d.median <= 20, `median RTT − held ${d.median} µs (≤ 20)`);
    const p95 = [...diff].sort((a, b) => a - b)[Math.floor(diff.length * 0.95)];
    assert.ok(p95 <= 200, `95th percentile RTT − held ${p95} µs (≤ 200)`);

    // Scheduling accuracy (held − planned): informative, loosely bounded.
    const lateness = truth.map((r) => r.held_us[0] - r.planned_delay_us);
    const l = stats(lateness);
    console.log(
      `held − planned (µs): median ${fmt(l.median)} max ${fmt(l.max)} min ${
        fmt(l.min)
      }`,
    );
    assert.ok(
      Math.abs(l.median) < 100,
      `median scheduling error ${l.median} µs`,
    );
    // The draw is exact (planned within delay ± jitter); the hold follows it,
    // never early, late only by a wake-up on a busy core (4 ms has been seen
    // on an idle 2-core VM), so that bound is loose: the median above is the
    // accuracy check.
    const planned = truth.map((r) => r.planned_delay_us);
    assert.ok(
      Math.min(...planned) >= 3000 && Math.max(...planned) <= 7000,
      `planned delays ${Math.min(...planned)}..${Math.max(...planned)} µs`,
    );
    assert.ok(
      l.min >= -500 && l.max < 50_000,
      `held − planned ${l.min}..${l.max} µs`,
    );
  },
});

Deno.test({
  name: "testbed: duplicates arrive exactly as recorded",
  ignore,
  async fn() {
    await using bed = await createTestbed();
    const responder = await bed.startResponder({
      dup: 0.3,
      dupGapMs: 1,
      seed: 3,
      maxPackets: 100,
      maxSeconds: 20,
    });
    const res = await runEchoClient(bed.targetAddress, {
      count: 100,
      intervalMs: 5,
      waitMs: 100,
      id: randomId(),
    });
    const truth = await responder.stop();
    const dups = truth.filter((r) => r.replies === 2);
    assert.ok(dups.length > 10, `only ${dups.length} duplicated`);
    assert.equal(res.replies.length, truth.reduce((n, r) => n + r.replies, 0));
    assert.equal(
      res.replies.length - seqSet(res.replies).size,
      dups.length,
      "extra replies = duplicates",
    );
    const count = new Map<number, number>();
    for (const r of res.replies) count.set(r.seq, (count.get(r.seq) ?? 0) + 1);
    for (const r of truth) {
      assert.equal(count.get(r.seq) ?? 0, r.replies, `seq ${r.seq}`);
    }
    // The duplicate leaves 1 ms after the reply: never early; late only by
    // as much as a busy core delays a wake-up (loose), and on time at the
    // median (the accuracy check).
    const gaps = dups.map((r) => r.held_us[1] - r.held_us[0]);
    for (const [i, gap] of gaps.entries()) {
      assert.ok(
        gap > 500 && gap < 50_000,
        `dup gap ${gap} µs for seq ${dups[i].seq}`,
      );
    }
    const mid = [...gaps].sort((a, b) => a - b)[Math.floor(gaps.length / 2)];
    assert.ok(mid > 900 && mid < 3000, `median dup gap ${mid} µs`);
    const d = stats(transitErrors(res.replies, truth));
    assert.ok(d.min >= 0 && d.max <= 200, `RTT − held in [${d.min}, ${d.max}]`);
  },
});

Deno.test({
  name: "testbed: unreach answers are ICMP type 3 code 1 quoting the request",
  ignore,
  async fn() {
    await using bed = await createTestbed();
    const responder = await bed.startResponder({
      unreach: 0.25,
      seed: 5,
      maxPackets: 100,
      maxSeconds: 20,
    });
    const res = await runEchoClient(bed.targetAddress, {
      count: 100,
      intervalMs: 5,
      waitMs: 100,
      id: randomId(),
    });
    const truth = await responder.stop();
    const unreach = truth.filter((r) => r.action === "unreach");
    assert.ok(unreach.length > 10, `only ${unreach.length} unreach`);
    assert.ok(
      res.icmp.every((e) =>
        e.type === 3 && e.code === 1 && e.cksum_ok &&
        e.from === bed.targetAddress
      ),
    );
    assert.deepEqual(sorted(seqSet(res.icmp)), sorted(seqSet(unreach)));
    assert.equal(res.icmp.length, unreach.length);
    const replied = seqSet(res.replies);
    for (const r of unreach) {
      assert.ok(!replied.has(r.seq), `seq ${r.seq} got both`);
    }
    assert.equal(res.replies.length, 100 - unreach.length);
  },
});

Deno.test({
  name: "testbed: reordered replies are overtaken by later ones",
  ignore,
  async fn() {
    await using bed = await createTestbed();
    const responder = await bed.startResponder({
      reorder: 0.2,
      reorderMs: 20,
      delayMs: 1,
      seed: 11,
      maxPackets: 100,
      maxSeconds: 20,
    });
    const res = await runEchoClient(bed.targetAddress, {
      count: 100,
      intervalMs: 5,
      waitMs: 150,
      id: randomId(),
    });
    const truth = await responder.stop();
    const t = bySeq(truth);
    const reordered = truth.filter((r) => r.reordered);
    assert.ok(reordered.length > 5, `only ${reordered.length} reordered`);
    assert.equal(res.replies.length, 100);
    const order = res.replies.map((r) => r.seq);
    const inOrder = order.filter((s) => !t.get(s)!.reordered);
    assert.deepEqual(
      inOrder,
      sorted(inOrder),
      "non-reordered replies keep their order",
    );
    // A held reply is overtaken when a later request's reply left the
    // responder first; a stalled sender (a busy machine) may send nothing
    // later in time, so the wire order from the truth record decides.
    let overtaken = 0;
    for (const r of reordered) {
      const pos = order.indexOf(r.seq);
      const passedOnWire = truth.some((o) =>
        o.seq > r.seq && o.tx_ns.length > 0 && o.tx_ns[0] < r.tx_ns[0]
      );
      if (passedOnWire) {
        overtaken++;
        assert.ok(
          order.slice(0, pos).some((s) => s > r.seq),
          `seq ${r.seq} was overtaken on the wire but not at the client`,
        );
      }
      assert.ok(
        r.held_us[0] > 20_000,
        `seq ${r.seq} held only ${r.held_us[0]} µs`,
      );
    }
    assert.ok(overtaken >= 3, `only ${overtaken} held replies were overtaken`);
  },
});

Deno.test({
  name: "testbed: bad checksums are ignored; bounds and SIGTERM behave",
  ignore,
  async fn() {
    await using bed = await createTestbed();

    // A corrupted request is not answered and not recorded.
    let responder = await bed.startResponder({
      maxPackets: 100,
      maxSeconds: 10,
    });
    let res = await runEchoClient(bed.targetAddress, {
      count: 10,
      intervalMs: 2,
      waitMs: 50,
      id: randomId(),
      corruptSeq: 3,
    });
    let truth = await responder.stop();
    assert.deepEqual(truth.map((r) => r.seq), [0, 1, 2, 4, 5, 6, 7, 8, 9]);
    assert.deepEqual(res.replies.map((r) => r.seq), [
      0,
      1,
      2,
      4,
      5,
      6,
      7,
      8,
      9,
    ]);

    // Bad options fail fast with the responder's own message.
    await assert.rejects(
      bed.startResponder({ loss: 2, maxPackets: 1, maxSeconds: 1 }),
      /--loss must be a number in \[0, 1\]/,
    );

    // --max-packets: exits by itself after 5 requests.
    responder = await bed.startResponder({ maxPackets: 5, maxSeconds: 10 });
    res = await runEchoClient(bed.targetAddress, {
      count: 10,
      intervalMs: 5,
      waitMs: 50,
      id: randomId(),
    });
    truth = await responder.done;
    assert.equal(truth.length, 5);
    assert.deepEqual(res.replies.map((r) => r.seq), [0, 1, 2, 3, 4]);

    // --max-seconds: exits by itself with nothing received.
    const t0 = performance.now();
    responder = await bed.startResponder({ maxPackets: 5, maxSeconds: 0.3 });
    assert.deepEqual(await responder.done, []);
    assert.ok(performance.now() - t0 < 3000);

    // SIGTERM while replies are still held: they are sent before exit.
    responder = await bed.startResponder({
      delayMs: 300,
      maxPackets: 100,
      maxSeconds: 10,
    });
    res = await runEchoClient(bed.targetAddress, {
      count: 5,
      intervalMs: 1,
      waitMs: 0,
      id: randomId(),
    });
    truth = await responder.stop();
    assert.equal(truth.length, 5);
    for (const r of truth) {
      assert.equal(r.replies, 1);
      assert.equal(r.unsent, 0);
      // SIGTERM came a few ms after the sends: a reply sent at SIGTERM would
      // show a hold of a few ms. Never early; late only by the responder's
      // wake-up on a busy machine (over 2 ms has been seen in CI-like runs).
      assert.ok(
        r.held_us[0] >= 299_000 && r.held_us[0] < 400_000,
        `held ${r.held_us[0]} µs`,
      );
    }
  },
});
