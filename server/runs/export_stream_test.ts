// The streamed export (test_data.ts exportStream) gives the same bytes as the
// whole-in-memory forms, across several stored chunks and with other events mixed in.
import assert from "node:assert/strict";
import { exportProbe, exportStream, toCsv } from "./export.ts";
import type { StoredProbe } from "./samples.ts";
import type { HubEvent } from "../events/hub.ts";
import type { TargetReport } from "../../model/run.ts";
import type { ProbeEventData } from "../../model/events.ts";

const probe = (i: number): StoredProbe => ({
  target: i % 2 ? "a,b" : "lo",
  address: "127.0.0.1",
  index: i,
  seq: i + 1,
  sent_at: 1_700_000_000_000 + i * 1000.5,
  rtt_ms: i % 5 === 0 ? null : 0.05 * i,
  status: i % 5 === 0 ? "lost" : "ok",
  ttl: i % 5 === 0 ? null : 64,
  ts_source: "kernel",
});

async function* chunks(events: HubEvent[], size: number) {
  for (let i = 0; i < events.length; i += size) {
    yield events.slice(i, i + size);
  }
}

Deno.test("exportStream: CSV and JSON equal the in-memory export, chunk by chunk", async () => {
  const probes = Array.from({ length: 25 }, (_, i) => probe(i));
  const events: HubEvent[] = [{
    id: 1,
    type: "status",
    data: { id: "x", status: "running" },
  }];
  for (const p of probes) {
    events.push({
      id: events.length + 1,
      type: "probe",
      data: p as ProbeEventData,
    });
    if (p.index % 7 === 0) {
      // Its content is not exported.
      events.push({
        id: events.length + 1,
        type: "interval",
        data: {} as never,
      });
    }
  }
  const summary = [{
    target: "lo",
    address: "127.0.0.1",
    timestamp: "t",
    sent: 25,
  }] as unknown as TargetReport[];
  const meta = { id: "x", status: "completed" };
  for (const [size, sum] of [[4, summary], [1000, null]] as const) {
    const csv = await new Response(
      exportStream("csv", meta, chunks(events, size), sum),
    ).text();
    assert.equal(csv, toCsv(probes, sum));
    const json = await new Response(
      exportStream("json", meta, chunks(events, size), sum),
    ).text();
    assert.equal(
      json,
      JSON.stringify({
        test: meta,
        probes: probes.map(exportProbe),
        summary: sum,
      }),
    );
  }
});

Deno.test("exportStream: a test without probes is a header (CSV) or an empty list (JSON)", async () => {
  const none = chunks([], 10);
  assert.equal(
    await new Response(exportStream("csv", {}, none, null)).text(),
    toCsv([], null),
  );
  const j = await new Response(
    exportStream("json", { id: "y" }, chunks([], 1), null),
  ).text();
  assert.deepEqual(JSON.parse(j), {
    test: { id: "y" },
    probes: [],
    summary: null,
  });
});
