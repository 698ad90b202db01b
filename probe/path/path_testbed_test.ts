// Path analysis through real routers: the engine, the shim and a chain of
// namespaced Linux routers (testing/testbed/path_bed.ts), with loss injected
// by nftables (its counters are the exact truth), kernel ICMP rate limiting
// left on at one router, a route swapped mid-test and an ECMP load balancer
// that hashes the ICMP checksum. IPv4 and IPv6.
import assert from "node:assert/strict";
import { Engine } from "../engine.ts";
import { startPath } from "./path_run.ts";
import { gate } from "../../testing/gate.ts";
import {
  createPathBed,
  type PathBed,
  pathBedUnavailableReason,
} from "../../testing/testbed/path_bed.ts";
import type { ProbeSettings } from "../../model/probe.ts";
import {
  type PathSummary,
  pathSummary,
  type RouteChange,
} from "../../model/path.ts";
import { taskPermissions } from "../../testing/deno_flags.ts";

const ignore = gate(
  "path analysis through namespaced routers",
  await pathBedUnavailableReason(),
);

const FAMILIES = ["v4", "v6"] as const;

async function trace(
  bed: PathBed,
  family: "v4" | "v6",
  settings: Partial<ProbeSettings>,
  during?: (elapsedMs: number) => Promise<void> | void,
): Promise<{ summary: PathSummary; changes: RouteChange[] }> {
  const host = bed.destination[family];
  assert.ok(bed.isBedAddress(host));
  const engine = Engine.create();
  try {
    const changes: RouteChange[] = [];
    const path = await startPath(
      engine,
      { target: "d", host },
      {
        interval_ms: 20,
        count: 50,
        timeout_ms: 1000,
        size: 56,
        max_hops: 8,
        ...settings,
      },
      { onRouteChange: (c) => changes.push(c) },
    );
    await during?.(0);
    await path.done;
    return { summary: path.summary(), changes };
  } finally {
    await engine.close();
  }
}

for (const family of FAMILIES) {
  Deno.test({
    name:
      `path ${family}: the hops are the routers, the destination is hop 4, no loss`,
    ignore,
    async fn() {
      await using bed = await createPathBed();
      const { summary } = await trace(bed, family, { count: 20 });
      assert.equal(summary.destination_reached, true);
      assert.equal(summary.destination_hop, 4);
      assert.equal(summary.loss_origin, null);
      assert.deepEqual(
        summary.hops.map((h) => h.hop_address),
        bed.hops[family],
      );
      for (const h of summary.hops) {
        assert.equal(h.sent, 20, `hop ${h.hop}`);
        assert.equal(h.received, 20, `hop ${h.hop}`);
        assert.equal(h.hop_addresses.length, 1);
        assert.equal(h.forwarded_loss, false);
        assert.ok(h.min_rtt_ms! > 0 && h.max_rtt_ms! < 100, `hop ${h.hop}`);
      }
    },
  });

  Deno.test({
    name:
      `path ${family}: loss at R3 matches the nft counter exactly; rate-limited R1 is not blamed`,
    ignore,
    async fn() {
      await using bed = await createPathBed({ rateLimited: ["R1"] });
      await bed.setLoss("R3", 30);
      // 10 ms rounds: R1's limit (IPv4 about 1/s, IPv6 one per 62.5 ms,
      // after a burst of 6) leaves most of its probes unanswered.
      const { summary } = await trace(bed, family, {
        count: 120,
        interval_ms: 10,
      });
      const drops = (await bed.drops("R3"))[family];
      assert.equal(summary.destination_hop, 4);
      const [h1, h2, h3, h4] = summary.hops;
      // R1 keeps the kernel's ICMP rate limit: it answers few of its probes.
      assert.ok(h1.received < h1.sent / 2, `hop 1 ${h1.received}/${h1.sent}`);
      assert.equal(h2.received, h2.sent);
      // R3 drops arriving echo requests: a probe for hop h arrives there
      // with TTL h - 2. Every loss at hops 3 and 4 is one of its drops.
      for (const h of [h3, h4]) {
        assert.equal(h.sent, 120);
        assert.equal(
          h.sent - h.received,
          drops[h.hop - 2] ?? 0,
          `hop ${h.hop}: lost ${h.sent - h.received}, nft dropped ${
            drops[h.hop - 2]
          } (${JSON.stringify(drops)})`,
        );
        assert.ok(h.loss_pct > 10 && h.loss_pct < 55, `hop ${h.hop}`);
      }
      assert.equal(summary.loss_origin, 3);
      assert.deepEqual(
        summary.hops.map((h) => h.forwarded_loss),
        [false, false, true, true],
      );
    },
  });

  Deno.test({
    name: `path ${family}: a route swapped mid-test is reported with its time`,
    ignore,
    async fn() {
      await using bed = await createPathBed();
      let swappedAt = 0;
      const { summary, changes } = await trace(
        bed,
        family,
        { count: 60 },
        async () => {
          await new Promise((r) => setTimeout(r, 500));
          swappedAt = Date.now();
          await bed.useBranch("b");
        },
      );
      const a = bed.hopsVia.a[family], b = bed.hopsVia.b[family];
      const hop2 = changes.filter((c) => c.hop === 2);
      assert.equal(hop2.length, 1, JSON.stringify(changes));
      assert.equal(hop2[0].from, a[1]);
      assert.equal(hop2[0].to, b[1]);
      const at = Date.parse(hop2[0].timestamp);
      assert.ok(
        at >= swappedAt - 100 && at <= swappedAt + 1000,
        `change at ${hop2[0].timestamp}, swapped at ${
          new Date(swappedAt).toISOString()
        }`,
      );
      // Every hop whose answering address differs between the branches
      // changed once, and nothing else did.
      const differing = a.flatMap((x, i) => x !== b[i] ? [i + 1] : []);
      assert.deepEqual(changes.map((c) => c.hop).sort(), differing);
      assert.deepEqual(summary.route_changes, changes);
      // Both addresses are listed at hop 2, with their counts.
      const seen = summary.hops[1].hop_addresses.map((x) => x.address).sort();
      assert.deepEqual(seen, [a[1], b[1]].sort());
      assert.equal(
        summary.hops[1].hop_addresses.reduce((n, x) => n + x.received, 0),
        summary.hops[1].received,
      );
      assert.equal(summary.destination_hop, 4);
      assert.equal(summary.loss_origin, null);
    },
  });

  Deno.test({
    name:
      `path ${family}: behind an ECMP balancer hashing the ICMP checksum, one test keeps one path`,
    ignore,
    async fn() {
      await using bed = await createPathBed();
      await bed.ecmp(true);
      const before = await bed.branchCounts();
      const { summary, changes } = await trace(bed, family, { count: 60 });
      const after = await bed.branchCounts();
      const a = after.a - before.a, b = after.b - before.b;
      // Every probe past R1 (hops 2-4 × 60, plus the first round's probes
      // past the destination) took the same branch.
      assert.ok(Math.min(a, b) === 0 && a + b >= 180, `a ${a}, b ${b}`);
      assert.deepEqual(changes, []);
      for (const h of summary.hops) {
        assert.equal(h.hop_addresses.length, 1, `hop ${h.hop}`);
        assert.equal(h.received, h.sent, `hop ${h.hop}`);
      }
      const branch = a > 0 ? "a" : "b";
      assert.deepEqual(
        summary.hops.map((h) => h.hop_address),
        bed.hopsVia[branch][family],
      );
    },
  });
}

Deno.test({
  name:
    "path CLI on ping sockets (no CAP_NET_RAW): routers answer through the error queue, kernel timestamps, v4 and v6",
  ignore,
  async fn() {
    await using bed = await createPathBed({ sourceNamespace: true });
    await bed.setLoss("R3", 25);
    for (const family of FAMILIES) {
      const r = await bed.runInSource(Deno.execPath(), [
        "run",
        ...taskPermissions("probe"),
        new URL("../cli.ts", import.meta.url).pathname,
        "--path",
        "--host",
        bed.destination[family],
        "--count",
        "40",
        "--interval",
        "20ms",
        "--max-hops",
        "6",
        "-n",
        "--output",
        "json",
        "--per-probe",
      ], { noRawSockets: true });
      assert.equal(r.code, 0, r.stderr);
      const records = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
      const path = pathSummary.parse(records.find((x) => x.type === "path"));
      assert.deepEqual(path.hops.map((h) => h.hop_address), bed.hops[family]);
      const drops = (await bed.drops("R3"))[family];
      for (const h of path.hops.slice(2)) {
        assert.equal(
          h.sent - h.received,
          drops[h.hop - 2] ?? 0,
          `hop ${h.hop}`,
        );
      }
      assert.equal(path.loss_origin, 3);
      // Routers' answers came off the error queue of a ping socket, with
      // the kernel's receive stamp.
      const routerAnswers = records.filter((x) =>
        x.type === "probe" && x.status === "ok" && x.from !== undefined
      );
      assert.ok(routerAnswers.length >= 80, String(routerAnswers.length));
      assert.ok(routerAnswers.every((x) => x.ts_source === "kernel"));
      assert.deepEqual(
        [...new Set(routerAnswers.map((x) => x.from))].sort(),
        bed.hops[family].slice(0, 3).sort(),
      );
    }
  },
});
