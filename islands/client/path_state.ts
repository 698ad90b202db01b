// The path (mtr-like) view's state of one target: its hops as the latest
// `hop` event of each (rows in hop order), a sparkline series per hop, the
// route changes, and the final `path` verdict. Signals for the table; plain
// arrays plus a version signal for the charts (drawn once a frame at most).
import { signal } from "@preact/signals";
import type { HopRecord, PathSummary, RouteChange } from "../../model/path.ts";

/** One hop's RTT over the reports: x in s; null where the report had no reply. */
export interface HopSeries {
  x: number[];
  rtt: (number | null)[];
  /** `received` of the last record seen, to tell a report without a reply. */
  received: number;
}

export class PathState {
  /** Rows in hop order: the latest record of each hop. */
  readonly hops = signal<HopRecord[]>([]);
  readonly changes = signal<RouteChange[]>([]);
  /** The final verdict (the `path` event at the end); null while live. */
  readonly summary = signal<PathSummary | null>(null);
  /** Bumped whenever a hop's series grew. */
  readonly version = signal(0);
  readonly series = new Map<number, HopSeries>();

  /** The series of a hop (empty until its first report). */
  seriesOf(hop: number): HopSeries {
    let s = this.series.get(hop);
    if (!s) this.series.set(hop, s = { x: [], rtt: [], received: 0 });
    return s;
  }

  hop(r: HopRecord): void {
    const s = this.seriesOf(r.hop);
    const x = Date.parse(r.timestamp) / 1000;
    // A replayed or repeated report at the same time adds no point.
    if (!(x <= s.x[s.x.length - 1])) {
      s.x.push(x);
      s.rtt.push(r.received > s.received ? r.last_rtt_ms : null);
      s.received = r.received;
      this.version.value++;
    }
    let rows = this.hops.value.filter((h) => h.hop !== r.hop);
    // Once the destination answers at a hop, the hops past it are gone.
    const dest = reachedAt([r]);
    if (dest !== null) rows = rows.filter((h) => h.hop < dest);
    rows.push(r);
    rows.sort((a, b) => a.hop - b.hop);
    this.hops.value = rows;
  }

  routeChange(c: RouteChange): void {
    this.changes.value = [...this.changes.value, c];
  }

  path(p: PathSummary): void {
    this.summary.value = p;
    this.hops.value = [...p.hops].sort((a, b) => a.hop - b.hop);
    if (p.route_changes.length >= this.changes.value.length) {
      this.changes.value = p.route_changes;
    }
  }

  /** The hop where loss starts: the verdict's at the end, else the first forwarding one. */
  get lossOrigin(): number | null {
    const p = this.summary.value;
    if (p) return p.loss_origin;
    return this.hops.value.find((h) => h.forwarded_loss)?.hop ?? null;
  }

  /** The hop the destination answered at; null while (or if) it has not. */
  get destinationHop(): number | null {
    const p = this.summary.value;
    return p ? p.destination_hop : reachedAt(this.hops.value);
  }
}

/** The first hop at which the destination itself answered, or null. */
export function reachedAt(hops: readonly HopRecord[]): number | null {
  for (const h of hops) {
    if (h.hop_addresses.some((a) => a.address === h.address)) return h.hop;
  }
  return null;
}

/**
 * Hops that lose replies the path does not lose: loss not forwarded, and a
 * later hop (the destination, or one that answered) shows the path goes on.
 */
export function notForwardingHops(
  hops: readonly HopRecord[],
  destination: number | null,
): Set<number> {
  let end = destination ?? 0;
  if (destination === null) {
    for (const h of hops) if (h.received > 0) end = Math.max(end, h.hop);
  }
  return new Set(
    hops.filter((h) => h.loss_pct > 0 && !h.forwarded_loss && h.hop < end)
      .map((h) => h.hop),
  );
}
