// Reading the CSV export in tests with a parser that shares nothing with the
// code that writes it (csv-parse, RFC 4180).
import { parse } from "csv-parse/sync";

/** Every record as an array of fields, header first; records must end in CRLF. */
export function csvRows(text: string): string[][] {
  return parse(text, { record_delimiter: "\r\n" });
}

/** The records after the header as objects keyed by the header's names. */
export function csvRecords(text: string): Record<string, string>[] {
  const [header, ...rows] = csvRows(text);
  return rows.map((r) => Object.fromEntries(header.map((k, i) => [k, r[i]])));
}

/**
 * The export's columns as documented, spelled out here rather than taken
 * from server/runs/export.ts, so a change there shows in the tests.
 */
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
];
export const STAT_COLUMNS = [
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
];
