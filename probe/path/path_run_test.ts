// Path mode through the real engine and shim, on loopback: the destination
// answers at hop 1, so nothing is probed past it. Multi-hop paths through
// real namespaced routers: path_testbed_test.ts.
import assert from "node:assert/strict";
import { Engine } from "../engine.ts";
import { startPath } from "./path_run.ts";
import type { ProbeRecord } from "../../model/probe.ts";
import { hopRecord, pathSummary } from "../../model/path.ts";

const settings = {
  interval_ms: 20,
  count: 5,
  timeout_ms: 500,
  size: 56,
  max_hops: 8,
};

for (const host of ["127.0.0.1", "::1"]) {
  Deno.test(`path to ${host}: destination at hop 1, no probe past it`, async () => {
    const engine = Engine.create();
    try {
      const records: ProbeRecord[] = [];
      const path = await startPath(engine, { target: "lo", host }, settings, {
        onProbe: (r) => records.push(r),
      });
      await path.done;
      const s = pathSummary.parse(path.summary());
      assert.equal(s.destination_reached, true);
      assert.equal(s.destination_hop, 1);
      assert.equal(s.loss_origin, null);
      assert.equal(s.hops.length, 1);
      const [hop] = s.hops;
      hopRecord.parse(hop);
      assert.equal(hop.hop, 1);
      assert.equal(hop.hop_address, host);
      assert.deepEqual(hop.hop_addresses, [
        { address: host, name: null, received: 5 },
      ]);
      assert.equal(hop.sent, 5);
      assert.equal(hop.received, 5);
      assert.equal(hop.forwarded_loss, false);
      assert.ok(hop.last_rtt_ms !== null && hop.min_rtt_ms! <= hop.max_rtt_ms!);
      const first = records.filter((r) => r.hop === 1);
      assert.equal(first.length, 5);
      assert.ok(first.every((r) => r.status === "ok" && r.from === undefined));
      // A round's hops go out together; the destination answers the first
      // round at hop 1, so hops 2..8 get that round's probe only.
      for (let h = 2; h <= 8; h++) {
        assert.ok(records.filter((r) => r.hop === h).length <= 1, `hop ${h}`);
      }
    } finally {
      await engine.close();
    }
  });
}
