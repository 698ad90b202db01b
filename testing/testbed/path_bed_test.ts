// Tests of the path bed (path_bed.ts) with real packets only: mtr and iputils
// ping from the prober, the routers' nftables counters as the truth.
import assert from "node:assert/strict";
import {
  createPathBed,
  type PathBed,
  pathBedUnavailableReason,
  sumCounts,
  type TtlCounts,
} from "./path_bed.ts";
import { gate } from "../gate.ts";
import { runCommand } from "../run_command.ts";

async function unavailable(): Promise<string | null> {
  const r = await pathBedUnavailableReason();
  if (r) return r;
  for (const [cmd, pkg] of [["mtr", "mtr-tiny"], ["setpriv", "util-linux"]]) {
    const ok = await runCommand(cmd, ["--version"]).then(
      (x) => x.code === 0,
      () => false,
    );
    if (!ok) return `'${cmd}' not found (install ${pkg})`;
  }
  return null;
}

const ignore = gate("path bed tests", await unavailable());
const FAMILIES = ["v4", "v6"] as const;

/** after - before, per family and TTL (zero entries left out). */
function delta(after: TtlCounts, before: TtlCounts): TtlCounts {
  const out: TtlCounts = { v4: {}, v6: {} };
  for (const fam of FAMILIES) {
    for (const [ttl, n] of Object.entries(after[fam])) {
      const d = n - (before[fam][Number(ttl)] ?? 0);
      if (d !== 0) out[fam][Number(ttl)] = d;
    }
  }
  return out;
}

/** mtr's hop addresses (one cycle set of -c probes per hop, 0.1 s apart). */
async function mtrHosts(bed: PathBed, dst: string): Promise<string[]> {
  assert.ok(bed.isBedAddress(dst));
  const r = await bed.runInSource(
    "mtr",
    ["-j", "-n", "-c", "5", "-i", "0.1", "-G", "0.5", "-m", "8", dst],
    { signal: AbortSignal.timeout(20_000) },
  );
  assert.equal(r.code, 0, r.stderr);
  const hubs = JSON.parse(r.stdout).report.hubs as { host: string }[];
  return hubs.map((h) => h.host);
}

/** The source of the answer to one echo request with this TTL (time exceeded or echo reply). */
async function answerFrom(bed: PathBed, dst: string, ttl: number) {
  const r = await bed.ping(dst, { ttl });
  const from = [...r.timeExceededFrom, ...r.replyFrom];
  assert.equal(from.length, 1, r.stdout);
  return from[0];
}

Deno.test({
  name:
    "path bed: mtr and TTL-limited pings find the hop addresses of `hops`, v4 and v6",
  ignore,
  async fn() {
    await using bed = await createPathBed();
    assert.equal(bed.hops.v4.length, 4);
    assert.equal(bed.hops.v4.at(-1), bed.destination.v4);
    assert.equal(bed.hops.v6.at(-1), bed.destination.v6);
    for (const fam of FAMILIES) {
      assert.deepEqual(
        await mtrHosts(bed, bed.destination[fam]),
        bed.hops[fam],
        fam,
      );
      for (let ttl = 1; ttl <= 4; ttl++) {
        assert.equal(
          await answerFrom(bed, bed.destination[fam], ttl),
          bed.hops[fam][ttl - 1],
        );
      }
    }
  },
});

Deno.test({
  name:
    "path bed: setLoss drops a share of arriving echo requests, and the drop counters are the exact truth",
  ignore,
  async fn() {
    await using bed = await createPathBed();
    const d0 = await bed.drops("R3");
    const a0 = await bed.arrivals("R3");
    await bed.setLoss("R3", 30);
    // 200 pings per family at 10 ms, both at once; they reach R3 with TTL 62.
    const [r4, r6] = await Promise.all(
      FAMILIES.map((fam) =>
        bed.ping(bed.destination[fam], { count: 200, intervalMs: 10 })
      ),
    );
    const dropped = delta(await bed.drops("R3"), d0);
    const arrived = delta(await bed.arrivals("R3"), a0);
    assert.deepEqual(Object.keys(dropped.v4), ["62"]);
    assert.deepEqual(Object.keys(dropped.v6), ["62"]);
    assert.deepEqual(arrived, { v4: { 62: 200 }, v6: { 62: 200 } });
    for (const [fam, r] of [["v4", r4], ["v6", r6]] as const) {
      assert.equal(r.transmitted, 200);
      assert.equal(r.received, 200 - dropped[fam][62], fam);
      // 30% of 200: 60 expected, sd 6.5.
      assert.ok(
        dropped[fam][62] >= 25 && dropped[fam][62] <= 95,
        `${fam}: ${dropped[fam][62]}`,
      );
    }

    // The router's own hop loses them too: probes expiring at R3 (arriving with TTL 1).
    const d1 = await bed.drops("R3");
    const te = await bed.ping(bed.destination.v4, {
      ttl: 3,
      count: 50,
      intervalMs: 10,
    });
    const lostAtHop = delta(await bed.drops("R3"), d1);
    assert.deepEqual(Object.keys(lostAtHop.v4), ["1"]);
    assert.equal(te.timeExceededFrom.length, 50 - lostAtHop.v4[1]);
    assert.ok(te.timeExceededFrom.every((a) => a === bed.routers.R3.v4));

    // Hops before the lossy router lose nothing; clearLoss ends it.
    assert.equal(
      sumCounts(await bed.drops("R1")) + sumCounts(await bed.drops("R2a")),
      0,
    );
    await bed.clearLoss();
    const d2 = await bed.drops("R3");
    const clean = await bed.ping(bed.destination.v4, {
      count: 50,
      intervalMs: 5,
    });
    assert.equal(clean.received, 50);
    assert.deepEqual(await bed.drops("R3"), d2);
  },
});

Deno.test({
  name:
    "path bed: a kernel-default router rate-limits time exceeded, a 0-ratelimit one answers every probe",
  ignore,
  async fn() {
    await using bed = await createPathBed({ rateLimited: ["R2a"] });
    // 50 expiring probes at 20 ms per hop; one family at a time.
    const answered = async (fam: "v4" | "v6", ttl: number) => {
      const r = await bed.ping(bed.destination[fam], {
        ttl,
        count: 50,
        intervalMs: 20,
      });
      assert.equal(r.transmitted, 50);
      assert.ok(
        r.timeExceededFrom.every((a) => a === bed.hops[fam][ttl - 1]),
        r.stdout,
      );
      return { n: r.timeExceededFrom.length, ms: r.elapsedMs };
    };
    for (const fam of FAMILIES) {
      const [r1, r2a, r3] = await Promise.all(
        [1, 2, 3].map((ttl) => answered(fam, ttl)),
      );
      console.log(
        `${fam}: time exceeded for 50 probes in ${r2a.ms} ms: R1 ${r1.n}, R2a (limited) ${r2a.n}, R3 ${r3.n}`,
      );
      assert.equal(r1.n, 50, `${fam} R1`);
      assert.equal(r3.n, 50, `${fam} R3`);
      // The kernel's per-destination token bucket: a burst of 6, then one
      // per icmp_ratelimit (1000 ms) in IPv4; IPv6 divides it by 2^((128 -
      // route prefix length) / 32), 1000/16 = 62.5 ms for R2a's default route.
      const perMs = fam === "v4" ? 1000 : 62.5;
      assert.ok(
        r2a.n > 0 && r2a.n <= 8 + r2a.ms / perMs,
        `${fam} R2a answered ${r2a.n} of 50`,
      );
      if (fam === "v4") assert.ok(r2a.n < 25, `R2a answered ${r2a.n} of 50`);
      else assert.ok(r2a.n < 50, `R2a answered ${r2a.n} of 50`);
    }
    // Switched at run time, both ways.
    await bed.setRateLimit("R2a", false);
    await bed.setRateLimit("R1", true);
    const [r1, r2a] = await Promise.all([answered("v4", 1), answered("v4", 2)]);
    assert.equal(r2a.n, 50);
    assert.ok(r1.n < 25, `R1 answered ${r1.n} of 50 once limited`);
  },
});

Deno.test({
  name: "path bed: useBranch moves hop 2 from R2a to R2b (and back) at once",
  ignore,
  async fn() {
    await using bed = await createPathBed();
    for (const fam of FAMILIES) {
      assert.equal(
        await answerFrom(bed, bed.destination[fam], 2),
        bed.routers.R2a[fam],
      );
    }
    const c0 = await bed.branchCounts();
    await bed.useBranch("b");
    for (const fam of FAMILIES) {
      for (let ttl = 2; ttl <= 4; ttl++) {
        assert.equal(
          await answerFrom(bed, bed.destination[fam], ttl),
          bed.hopsVia.b[fam][ttl - 1],
          `${fam} hop ${ttl}`,
        );
      }
    }
    assert.equal(bed.hopsVia.b.v4[1], bed.routers.R2b.v4);
    assert.notEqual(bed.hopsVia.b.v6[2], bed.hops.v6[2]); // v6 answers from the arrival side
    const c1 = await bed.branchCounts();
    assert.deepEqual(c1, { a: c0.a, b: c0.b + 6 });
    // Answers come back via R2a (R3's default route), and loss never takes
    // echo replies or ICMP errors: R2a dropping every echo request costs nothing.
    await bed.setLoss("R2a", 100);
    const back = await bed.ping(bed.destination.v4, {
      count: 20,
      intervalMs: 5,
    });
    assert.equal(back.received, 20);
    assert.equal(
      await answerFrom(bed, bed.destination.v6, 3),
      bed.hopsVia.b.v6[2],
    );
    assert.equal(sumCounts(await bed.drops("R2a")), 0);
    await bed.useBranch("a");
    const lost = await bed.ping(bed.destination.v4, {
      count: 5,
      intervalMs: 5,
    });
    assert.equal(lost.received, 0);
    assert.deepEqual(await bed.drops("R2a"), { v4: { 63: 5 }, v6: {} });
    await bed.clearLoss("R2a");
    assert.equal(
      await answerFrom(bed, bed.destination.v4, 2),
      bed.routers.R2a.v4,
    );
  },
});

Deno.test({
  name:
    "path bed: ecmp splits varying checksums over both branches, equal packets stay on one",
  ignore,
  async fn() {
    await using bed = await createPathBed();
    await bed.ecmp(true);
    for (const fam of FAMILIES) {
      // iputils ping: the sequence number and timestamp change every checksum.
      const c0 = await bed.branchCounts();
      const r = await bed.ping(bed.destination[fam], {
        count: 40,
        intervalMs: 20,
      });
      const c1 = await bed.branchCounts();
      const a = c1.a - c0.a, b = c1.b - c0.b;
      console.log(
        `${fam}: 40 pings with varying checksums: ${a} via R2a, ${b} via R2b`,
      );
      assert.equal(r.received, 40);
      assert.equal(a + b, 40);
      assert.ok(a > 0 && b > 0, `${fam}: ${a} via R2a, ${b} via R2b`);
    }
    // Equal packets (same ident, seq 1, no payload): one checksum, one branch.
    for (const fam of FAMILIES) {
      for (const ident of [4242, 999]) {
        const c0 = await bed.branchCounts();
        for (let i = 0; i < 6; i++) {
          const r = await bed.ping(bed.destination[fam], { ident, size: 0 });
          assert.equal(r.received, 1, r.stdout);
        }
        const c1 = await bed.branchCounts();
        const a = c1.a - c0.a, b = c1.b - c0.b;
        assert.ok(
          (a === 6 && b === 0) || (a === 0 && b === 6),
          `${fam} ident ${ident}: ${a}/${b}`,
        );
      }
    }
    // Off again: everything via R2a.
    await bed.ecmp(false);
    const c0 = await bed.branchCounts();
    await bed.ping(bed.destination.v4, { count: 20, intervalMs: 5 });
    const c1 = await bed.branchCounts();
    assert.deepEqual(c1, { a: c0.a + 20, b: c0.b });
  },
});

Deno.test({
  name:
    "path bed: with sourceNamespace the prober is S; ping sockets without CAP_NET_RAW see every hop",
  ignore,
  async fn() {
    await using bed = await createPathBed({ sourceNamespace: true });
    assert.ok(bed.sourceNs);
    // The root namespace has no route into this bed.
    const root = await runCommand("ip", [
      "-j",
      "route",
      "get",
      bed.destination.v4,
    ]);
    assert.ok(!root.stdout.includes(bed.prober.v4), root.stdout);
    // CAP_NET_RAW really is gone (bit 13 of the bounding set).
    const caps = await bed.runInSource(
      "grep",
      ["CapBnd", "/proc/self/status"],
      {
        noRawSockets: true,
      },
    );
    const bnd = BigInt("0x" + caps.stdout.trim().split(/\s+/)[1]);
    assert.equal(bnd & (1n << 13n), 0n);
    for (const fam of FAMILIES) {
      const dst = bed.destination[fam];
      const ok = await bed.ping(dst, {
        count: 3,
        intervalMs: 10,
        noRawSockets: true,
      });
      assert.equal(ok.received, 3, ok.stdout);
      for (let ttl = 1; ttl <= 3; ttl++) {
        const r = await bed.ping(dst, { ttl, noRawSockets: true });
        assert.deepEqual(
          r.timeExceededFrom,
          [bed.hops[fam][ttl - 1]],
          r.stdout,
        );
      }
      assert.deepEqual(await mtrHosts(bed, dst), bed.hops[fam]);
    }
  },
});

Deno.test({
  name:
    "path bed: destroy deletes every namespace and the root routes; ping refuses other addresses",
  ignore,
  async fn() {
    const bed = await createPathBed();
    await assert.rejects(() => bed.ping("127.0.0.1"), /not in this path bed/);
    await assert.rejects(() => bed.ping("::1"), /not in this path bed/);
    const names = Object.values(bed.namespaces);
    assert.equal(names.length, 5);
    await bed.destroy();
    await bed.destroy(); // idempotent
    const list = (await runCommand("ip", ["netns", "list"])).stdout;
    for (const n of names) assert.ok(!list.includes(n), `${n} still there`);
    for (const fam of ["-4", "-6"]) {
      const routes = (await runCommand("ip", [fam, "route", "show"])).stdout;
      assert.ok(
        !routes.includes(bed.prefixes[fam === "-4" ? "v4" : "v6"]),
        routes,
      );
    }
    await assert.rejects(() => bed.setLoss("R1", 10), /destroyed/);
  },
});
