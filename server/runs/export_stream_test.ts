// The export, read back with an independent CSV parser (testing/csv.ts) and
// JSON.parse, against values computed here from the probe records: across
// several stored chunks, with other events mixed in, and with fields that
// need quoting.
import assert from "node:assert/strict";
import { exportStream } from "./export.ts";
import type { StoredProbe } from "./samples.ts";
import type { RunEvent } from "../../model/events.ts";
import type { TargetReport } from "../../model/run.ts";
import {
  csvRecords,
  csvRows,
  PROBE_COLUMNS,
  STAT_COLUMNS,
} from "../../testing/csv.ts";
import type { ProbeEventData } from "../../model/events.ts";

const HEADER = ["record", ...PROBE_COLUMNS, ...STAT_COLUMNS];

const T0 = 1_700_000_000_000;
const probe = (i: number): StoredProbe => {
  const base = {
    target: i % 2 ? 'a,"b"' : "lo",
    address: "127.0.0.1",
    index: i,
    seq: i + 1,
    sent_at: T0 + i * 1000.5,
    ts_source: "kernel" as const,
  };
  if (i % 5 === 0) {
    return { ...base, rtt_ms: null, status: "lost", ttl: null };
  }
  if (i % 11 === 0) {
    return {
      ...base,
      rtt_ms: null,
      status: "error",
      ttl: null,
      icmp: { type: 3, code: 1, from: "10.0.0.1", text: "host\nunreachable" },
    };
  }
  if (i === 7) {
    return {
      ...base,
      rtt_ms: null,
      status: "error",
      ttl: null,
      error: "ENETUNREACH",
    };
  }
  if (i === 3) {
    // A TLS probe: its kind, port and handshake are exported too.
    return {
      ...base,
      rtt_ms: 1.5,
      status: "ok",
      ttl: null,
      ts_source: "user" as const,
      kind: "tls" as const,
      port: 443,
      tls: {
        connect_ms: 0.5,
        handshake_ms: 1,
        protocol: "TLSv1.3",
        cipher: "TLS_AES_256_GCM_SHA384",
        subject: "CN=web, O=Example, Inc.",
        issuer: "CN=CA",
        valid_to: "2027-01-01T00:00:00.000Z",
        days_left: 31,
        authorized: true,
      },
    };
  }
  if (i === 9) {
    return {
      ...base,
      rtt_ms: 0.2,
      status: "ok",
      ttl: 64,
      kind: "tcp-syn" as const,
      port: 22,
      tcp: "rst" as const,
    };
  }
  return { ...base, rtt_ms: 0.05 * i, status: "ok", ttl: 64 };
};

/** The CSV fields a probe should have, worked out from the record itself. */
function expectedCsv(p: StoredProbe): Record<string, string> {
  const row: Record<string, string> = Object.fromEntries(
    HEADER.map((k) => [k, ""]),
  );
  row.record = "probe";
  row.timestamp = new Date(p.sent_at).toISOString();
  row.target = p.target;
  row.address = p.address;
  row.index = `${p.index}`;
  row.seq = `${p.seq}`;
  row.sent_at = `${p.sent_at}`;
  row.rtt_ms = p.rtt_ms === null ? "" : `${p.rtt_ms}`;
  row.status = p.status;
  row.ttl = p.ttl === null ? "" : `${p.ttl}`;
  row.ts_source = p.ts_source;
  if (p.icmp) {
    row.icmp_type = `${p.icmp.type}`;
    row.icmp_code = `${p.icmp.code}`;
    row.icmp_from = p.icmp.from;
    row.icmp_text = p.icmp.text;
  }
  if (p.error) row.error = p.error;
  row.kind = p.kind ?? "icmp";
  if (p.port !== undefined) row.port = `${p.port}`;
  if (p.tcp) row.tcp = p.tcp;
  if (p.tls) {
    row.tls_connect_ms = `${p.tls.connect_ms}`;
    row.tls_handshake_ms = `${p.tls.handshake_ms}`;
    row.tls_protocol = p.tls.protocol!;
    row.tls_cipher = p.tls.cipher!;
    row.cert_subject = p.tls.subject!;
    row.cert_issuer = p.tls.issuer!;
    row.cert_valid_to = p.tls.valid_to!;
    row.cert_days_left = `${p.tls.days_left}`;
  }
  return row;
}

/** The JSON form of a probe: every column, absent values null. */
const expectedJson = (p: StoredProbe) => ({
  timestamp: new Date(p.sent_at).toISOString(),
  target: p.target,
  address: p.address,
  index: p.index,
  seq: p.seq,
  sent_at: p.sent_at,
  rtt_ms: p.rtt_ms,
  status: p.status,
  ttl: p.ttl,
  ts_source: p.ts_source,
  icmp_type: p.icmp?.type ?? null,
  icmp_code: p.icmp?.code ?? null,
  icmp_from: p.icmp?.from ?? null,
  icmp_text: p.icmp?.text ?? null,
  error: p.error ?? null,
  kind: p.kind ?? "icmp",
  port: p.port ?? null,
  tcp: p.tcp ?? null,
  tls_connect_ms: p.tls?.connect_ms ?? null,
  tls_handshake_ms: p.tls?.handshake_ms ?? null,
  tls_protocol: p.tls?.protocol ?? null,
  tls_cipher: p.tls?.cipher ?? null,
  cert_subject: p.tls?.subject ?? null,
  cert_issuer: p.tls?.issuer ?? null,
  cert_valid_to: p.tls?.valid_to ?? null,
  cert_days_left: p.tls?.days_left ?? null,
  cert_error: p.tls?.cert_error ?? null,
});

async function* chunks(events: RunEvent[], size: number) {
  for (let i = 0; i < events.length; i += size) {
    yield events.slice(i, i + size);
  }
}

const read = (s: ReadableStream<Uint8Array>) => new Response(s).text();

Deno.test("export: CSV and JSON hold every probe and summary, chunk by chunk", async () => {
  const probes = Array.from({ length: 25 }, (_, i) => probe(i));
  const events: RunEvent[] = [{
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
  const stats = Object.fromEntries(
    STAT_COLUMNS.map((k, i) => [k, i % 4 === 3 ? null : i * 1.25]),
  );
  const summary = [{
    ...stats,
    target: "lo",
    address: "127.0.0.1",
    timestamp: new Date(T0 + 30_000).toISOString(),
  }] as unknown as TargetReport[];
  const meta = { id: "x", status: "completed" };
  for (const [size, sum] of [[4, summary], [1000, null]] as const) {
    const csv = await read(
      exportStream("csv", meta, chunks(events, size), sum),
    );
    assert.ok(csv.endsWith("\r\n"));
    assert.deepEqual(csvRows(csv)[0], HEADER);
    const rows = csvRecords(csv);
    const want = probes.map(expectedCsv);
    for (const s of sum ?? []) {
      const row: Record<string, string> = Object.fromEntries(
        HEADER.map((k) => [k, ""]),
      );
      row.record = "summary";
      row.timestamp = s.timestamp;
      row.target = s.target;
      row.address = s.address;
      for (const k of STAT_COLUMNS) {
        const v = (s as unknown as Record<string, number | null>)[k];
        row[k] = v === null ? "" : `${v}`;
      }
      want.push(row);
    }
    assert.deepEqual(rows, want);

    const json = JSON.parse(
      await read(exportStream("json", meta, chunks(events, size), sum)),
    );
    assert.deepEqual(json, {
      test: meta,
      probes: probes.map(expectedJson),
      summary: sum,
    });
  }
});

Deno.test("export: a test without probes is a header (CSV) or an empty list (JSON)", async () => {
  const csv = await read(exportStream("csv", {}, chunks([], 10), null));
  assert.deepEqual(csvRows(csv), [HEADER]);
  assert.equal(csv, HEADER.join(",") + "\r\n");
  const j = await read(exportStream("json", { id: "y" }, chunks([], 1), null));
  assert.deepEqual(JSON.parse(j), {
    test: { id: "y" },
    probes: [],
    summary: null,
  });
});
