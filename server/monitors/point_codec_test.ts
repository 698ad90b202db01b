// The stored encoding round-trips a point exactly and is small.
import assert from "node:assert/strict";
import { computeStats } from "../../probe/statistics.ts";
import type { ProbeOutcome } from "../../model/probe.ts";
import { stepPoint } from "./step_point.ts";
import { rollup } from "./rollup.ts";
import { decodePoint, encodePoint } from "./point_codec.ts";

Deno.test("point codec round-trips step and rollup points exactly; 20-probe step under 80 bytes", () => {
  const outcomes: ProbeOutcome[] = Array.from({ length: 20 }, (_, i) => {
    const lost = i % 7 === 3;
    const rtt = lost
      ? null
      : Math.round((0.8 + (i * 37 % 11) / 10) * 1000) / 1000;
    return {
      index: i,
      status: lost ? "lost" : "ok",
      rtt_ms: rtt,
      sent_ms: i * 3000,
      received_ms: rtt === null ? null : i * 3000 + rtt,
      duplicates: 0,
    };
  });
  const p = stepPoint(computeStats(outcomes), outcomes, 1_700_000_000_000, 60);
  const bytes = encodePoint(p);
  assert.deepEqual(decodePoint(p.t, bytes), p);
  console.log(`encoded step point: ${bytes.length} bytes`);
  assert.ok(bytes.length < 80, `${bytes.length} bytes`);
  const h = rollup(Array(60).fill(p), p.t, 3600);
  assert.deepEqual(decodePoint(h.t, encodePoint(h)), h);
});
