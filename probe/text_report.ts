// The CLI's human output: live lines like ping, then one table.
import { kindLine } from "./tcp/kind_text.ts";
import type {
  ProbeRecord,
  ProbeSettings,
  TargetStats,
} from "../model/probe.ts";
import type { ResolvedTarget } from "./target.ts";

/** One live line per probe record. */
export function probeLine(r: ProbeRecord, s: ProbeSettings): string {
  if (r.kind !== undefined && r.kind !== "icmp") return kindLine(r, s);
  const who = r.target === r.address ? r.address : `${r.target} (${r.address})`;
  const seq = `icmp_seq=${r.seq}`;
  switch (r.status) {
    case "ok":
      return `${s.size + 8} bytes from ${who}: ${seq} ttl=${
        r.ttl ?? "?"
      } time=${r.rtt_ms?.toFixed(3)} ms`;
    case "late":
      return `${s.size + 8} bytes from ${who}: ${seq} ttl=${
        r.ttl ?? "?"
      } time=${
        r.rtt_ms?.toFixed(3)
      } ms (LATE, after the ${s.timeout_ms} ms timeout)`;
    case "duplicate":
      return `${s.size + 8} bytes from ${who}: ${seq} time=${
        r.rtt_ms?.toFixed(3)
      } ms (DUP!)`;
    case "lost":
      return `no reply from ${who}: ${seq} within ${s.timeout_ms} ms`;
    case "error":
      return r.icmp
        ? `From ${r.icmp.from} ${seq} ${r.icmp.text} (to ${who})`
        : `send to ${who} failed: ${seq} ${r.error ?? "error"}`;
  }
}

const fmt = (v: number | null, digits = 3) =>
  v === null ? "-" : v.toFixed(digits);

/** Final per-target table: `stats[i]` are the statistics of `targets[i]`. */
export function formatTable(
  targets: readonly ResolvedTarget[],
  stats: readonly TargetStats[],
): string {
  const head = [
    "target",
    "address",
    "sent",
    "recv",
    "loss%",
    "late",
    "dup",
    "min",
    "avg",
    "max",
    "mdev",
    "p95",
    "jitter",
    "MOS",
  ];
  const rows = targets.map((t, i) => {
    const s = stats[i];
    return [
      t.target,
      t.address,
      String(s.sent),
      String(s.received),
      s.loss_pct.toFixed(2),
      String(s.late),
      String(s.duplicates),
      fmt(s.min_rtt_ms),
      fmt(s.avg_rtt_ms),
      fmt(s.max_rtt_ms),
      fmt(s.mdev_ms),
      fmt(s.p95_rtt_ms),
      fmt(s.jitter_ms),
      fmt(s.mos, 2),
    ];
  });
  const widths = head.map((h, c) =>
    Math.max(h.length, ...rows.map((r) => r[c].length))
  );
  const line = (cells: string[]) =>
    cells.map((x, c) => c < 2 ? x.padEnd(widths[c]) : x.padStart(widths[c]))
      .join("  ");
  return ["", "--- statistics (times in ms) ---", line(head), ...rows.map(line)]
    .join("\n");
}
