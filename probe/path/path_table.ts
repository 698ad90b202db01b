// The path report as text, like `mtr --report`: one line per hop, every
// further address seen at a hop (ECMP, a route change) on a continuation
// line, `???` for a hop nothing answered, plus what mtr leaves to the reader:
// where loss starts (the loss origin) and which hops only fail to answer
// (loss not forwarded to later hops: the router rate-limits its ICMP). Pure:
// the CLI prints it once at the end, or redraws it live on a terminal.
import type { HopRecord, PathSummary } from "../../model/path.ts";

export interface PathTableOptions {
  /** This host's name, for the `HOST:` header (mtr shows the local host there). */
  localHost: string;
  /** When the test started (ISO), for the `Start:` line; none: no such line. */
  start?: string;
}

export const LOSS_ORIGIN_NOTE = "<- loss starts here";
export const NOT_FORWARDING_NOTE = "not forwarding loss (rate-limited ICMP?)";

const COLUMNS = [
  "Loss%",
  "Snt",
  "Last",
  "Avg",
  "Best",
  "Wrst",
  "StDev",
  "Jitter",
] as const;
const WIDTHS = [6, 5, 7, 7, 7, 7, 7, 7];
const MIN_HOST_WIDTH = 28;

const ms = (v: number | null) => v === null ? "-" : v.toFixed(2);

/** The numeric cells of one hop, in COLUMNS order. */
function cells(h: HopRecord): string[] {
  return [
    `${h.loss_pct.toFixed(1)}%`,
    String(h.sent),
    ms(h.last_rtt_ms),
    ms(h.avg_rtt_ms),
    ms(h.min_rtt_ms),
    ms(h.max_rtt_ms),
    ms(h.stdev_ms),
    ms(h.jitter_ms),
  ];
}

/** The remark after a hop's numbers: loss origin, or loss it does not forward. */
function note(h: HopRecord, s: PathSummary): string {
  if (h.hop === s.loss_origin) return LOSS_ORIGIN_NOTE;
  const last = h.hop === s.hops.at(-1)?.hop;
  if (!last && h.received < h.sent && !h.forwarded_loss) {
    return NOT_FORWARDING_NOTE;
  }
  return "";
}

/** The path of one target as an mtr-like report. */
export function formatPathTable(
  s: PathSummary,
  options: PathTableOptions,
): string {
  const names = new Map<string, string>();
  for (const h of s.hops) {
    for (const a of h.hop_addresses) if (a.name) names.set(a.address, a.name);
  }
  const label = (address: string | null) => {
    if (address === null) return "???";
    const name = names.get(address);
    return name ? `${address} (${name})` : address;
  };

  // Each hop: its line, then one continuation line per further address.
  type Row = { host: string; cells: string[]; note: string };
  const rows: Row[] = [];
  for (const h of s.hops) {
    rows.push({
      host: `${String(h.hop).padStart(3)}.|-- ${label(h.hop_address)}`,
      cells: cells(h),
      note: note(h, s),
    });
    for (const a of h.hop_addresses.slice(1)) {
      rows.push({
        host: `    |-- ${label(a.address)}`,
        cells: COLUMNS.map(() => ""),
        note: `answered ${a.received} of ${h.sent}`,
      });
    }
  }
  const head = `HOST: ${options.localHost}`;
  const hostWidth = Math.max(
    MIN_HOST_WIDTH,
    head.length,
    ...rows.map((r) => r.host.length),
  );
  const line = (host: string, values: readonly string[], remark: string) =>
    (host.padEnd(hostWidth) +
      values.map((v, i) => " " + v.padStart(WIDTHS[i])).join("") +
      (remark ? "  " + remark : "")).trimEnd();

  const who = s.target === s.address ? s.address : `${s.target} (${s.address})`;
  const out = [`PATH to ${who}`];
  if (options.start) out.push(`Start: ${options.start}`);
  out.push(line(head, COLUMNS, ""));
  for (const r of rows) out.push(line(r.host, r.cells, r.note));

  const verdict = [
    s.destination_reached
      ? `destination reached at hop ${s.destination_hop}`
      : "destination not reached",
  ];
  if (s.loss_origin !== null) {
    verdict.push(`loss starts at hop ${s.loss_origin}`);
  } else if (s.destination_reached) verdict.push("no loss to the destination");
  out.push(verdict.join("; "));

  if (s.route_changes.length > 0) {
    out.push("Route changes:");
    for (const c of s.route_changes) {
      out.push(
        `  ${c.timestamp}  hop ${c.hop}: ${label(c.from)} -> ${label(c.to)}`,
      );
    }
  }
  return out.join("\n");
}
