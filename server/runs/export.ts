// Exports of a test: every probe plus the summary as CSV (RFC 4180) or JSON,
// streamed chunk by chunk.
import type { RunEvent } from "../../model/events.ts";
import type { TargetReport } from "../../model/run.ts";
import type { HopRecord, PathSummary } from "../../model/path.ts";
import type { StoredProbe } from "./samples.ts";

export const EXPORT_FORMATS = ["csv", "json"] as const;
export type ExportFormat = typeof EXPORT_FORMATS[number];

/** What an export holds: every probe (a ping test's default) or the hops of a path test (its default). */
export const EXPORT_KINDS = ["probes", "hops"] as const;
export type ExportKind = typeof EXPORT_KINDS[number];

/** Columns of a path test's hop export: one row per hop per report. */
export const HOP_COLUMNS = [
  "timestamp",
  "target",
  "address",
  "hop",
  "hop_address",
  "hop_addresses",
  "sent",
  "received",
  "loss_pct",
  "last_rtt_ms",
  "min_rtt_ms",
  "avg_rtt_ms",
  "max_rtt_ms",
  "stdev_ms",
  "jitter_ms",
  "forwarded_loss",
] as const;

/** Probe columns of an export, in order. */
export const PROBE_COLUMNS = [
  "timestamp",
  "target",
  "address",
  "index",
  "seq",
  "sent_at",
  "rtt_ms",
  "status",
  "ttl",
  "ts_source",
  "icmp_type",
  "icmp_code",
  "icmp_from",
  "icmp_text",
  "error",
  "kind",
  "port",
  "tcp",
  "tls_connect_ms",
  "tls_handshake_ms",
  "tls_protocol",
  "tls_cipher",
  "cert_subject",
  "cert_issuer",
  "cert_valid_to",
  "cert_days_left",
  "cert_error",
] as const;

/** Summary columns (every statistic) of a CSV export. */
export const SUMMARY_COLUMNS = [
  "sent",
  "received",
  "lost",
  "loss_pct",
  "duplicates",
  "late",
  "errors",
  "reordered",
  "pending",
  "min_rtt_ms",
  "avg_rtt_ms",
  "max_rtt_ms",
  "mdev_ms",
  "median_rtt_ms",
  "p95_rtt_ms",
  "p99_rtt_ms",
  "jitter_ms",
  "jitter_rfc3550_ms",
  "loss_bursts",
  "longest_loss_burst",
  "outages",
  "outage_ms",
  "mos",
] as const;

/** A probe as an export row: flat, ISO timestamp, the ICMP error spelled out. */
function exportProbe(p: StoredProbe): Record<string, unknown> {
  return {
    timestamp: p.timestamp ?? new Date(p.sent_at).toISOString(),
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
  };
}

/** One CSV field (RFC 4180): quoted when it holds a comma, quote, CR or LF. */
function csvField(v: unknown): string {
  if (v === null || v === undefined) return "";
  const s = typeof v === "string" ? v : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

const CSV_HEADER = ["record", ...PROBE_COLUMNS, ...SUMMARY_COLUMNS].join(",");

function csvProbeLine(p: StoredProbe): string {
  const row = exportProbe(p);
  return [
    "probe",
    ...PROBE_COLUMNS.map((k) => csvField(row[k])),
    ...SUMMARY_COLUMNS.map(() => ""),
  ].join(",");
}

function csvSummaryLine(s: TargetReport): string {
  const row: Record<string, unknown> = {
    timestamp: s.timestamp,
    target: s.target,
    address: s.address,
  };
  return [
    "summary",
    ...PROBE_COLUMNS.map((k) => csvField(row[k])),
    ...SUMMARY_COLUMNS.map((k) => csvField(s[k])),
  ].join(",");
}

/**
 * The export as a byte stream, read from the stored events one chunk at a
 * time, in bounded memory whatever the test's length. CSV (RFC 4180, CRLF
 * line ends): a header row, then one row per probe (`record` = probe) and one
 * per target summary (`record` = summary, probe columns empty except
 * timestamp, target and address). JSON: `{test, probes, summary}`.
 */
export function exportStream(
  format: ExportFormat,
  test: unknown,
  chunks: AsyncIterable<RunEvent[]>,
  summary: TargetReport[] | null,
): ReadableStream<Uint8Array> {
  async function* text(): AsyncGenerator<string> {
    let first = true;
    yield format === "csv"
      ? CSV_HEADER + "\r\n"
      : `{"test":${JSON.stringify(test)},"probes":[`;
    for await (const chunk of chunks) {
      const rows: string[] = [];
      for (const ev of chunk) {
        if (ev.type !== "probe") continue;
        const p = ev.data;
        if (format === "csv") rows.push(csvProbeLine(p) + "\r\n");
        else {
          rows.push((first ? "" : ",") + JSON.stringify(exportProbe(p)));
          first = false;
        }
      }
      if (rows.length) yield rows.join("");
    }
    yield format === "csv"
      ? (summary ?? []).map((s) => csvSummaryLine(s) + "\r\n").join("")
      : `],"summary":${JSON.stringify(summary)}}`;
  }
  return ReadableStream.from(text()).pipeThrough(new TextEncoderStream());
}

/** A hop report as a CSV row; `hop_addresses` as `addr=count;addr=count`. */
function csvHopLine(h: HopRecord): string {
  const row: Record<string, unknown> = {
    ...h,
    hop_addresses: h.hop_addresses.map((a) => `${a.address}=${a.received}`)
      .join(";"),
  };
  return HOP_COLUMNS.map((k) => csvField(row[k])).join(",");
}

/**
 * A path test's hops, streamed like `exportStream`. CSV (RFC 4180, CRLF): a
 * header row (HOP_COLUMNS), then one row per hop per report (every `hop`
 * event, the last report at the end). JSON: `{test, hops, paths}`: the hop
 * reports in order, then the final path summary per target.
 */
export function hopsExportStream(
  format: ExportFormat,
  test: unknown,
  chunks: AsyncIterable<RunEvent[]>,
  paths: PathSummary[] | null,
): ReadableStream<Uint8Array> {
  async function* text(): AsyncGenerator<string> {
    let first = true;
    yield format === "csv"
      ? HOP_COLUMNS.join(",") + "\r\n"
      : `{"test":${JSON.stringify(test)},"hops":[`;
    for await (const chunk of chunks) {
      const rows: string[] = [];
      for (const ev of chunk) {
        if (ev.type !== "hop") continue;
        if (format === "csv") rows.push(csvHopLine(ev.data) + "\r\n");
        else {
          rows.push((first ? "" : ",") + JSON.stringify(ev.data));
          first = false;
        }
      }
      if (rows.length) yield rows.join("");
    }
    if (format === "json") yield `],"paths":${JSON.stringify(paths)}}`;
  }
  return ReadableStream.from(text()).pipeThrough(new TextEncoderStream());
}
