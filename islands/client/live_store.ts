// State of one test as the page sees it: status and latest statistics as
// signals, and the chart series as plain arrays with a version signal that
// the charts watch (they redraw at most once per animation frame).
import { type Signal, signal } from "@preact/signals";
import type { LatestTls, ProbeRecord } from "../../model/probe.ts";
import type { TargetReport, TestMeta } from "../../model/run.ts";
import type { RunEventBody } from "../../model/events.ts";
import {
  bucketSeconds,
  newQualitySeries,
  type QualitySeries,
  updateQuality,
} from "./quality_series.ts";
import type { ProbeSeries } from "./probe_series.ts";
import {
  dueToFold,
  type FoldedSeries,
  foldFirst,
  newFolded,
} from "./fold_series.ts";
import { PathState } from "./path_state.ts";

const LOST = new Set(["lost", "late", "error"]);

export class LiveStore {
  readonly meta: TestMeta;
  readonly status: Signal<string>;
  readonly error = signal<string | null>(null);
  /** False while the event stream is down and reconnecting. */
  readonly connected = signal(true);
  /** Latest statistics per target, in the order of meta.targets. */
  readonly reports: Signal<TargetReport | null>[];
  /** Bumped whenever a series changed. */
  readonly version = signal(0);
  readonly probes: ProbeSeries[];
  /** Per target, the probes older than the detail window, in buckets (fold_series.ts). */
  readonly folded: FoldedSeries[];
  /** Width of the quality chart's buckets, s. */
  readonly bucket: number;
  readonly #quality: QualitySeries[];
  /** Path mode: each target's hops, in the order of meta.targets; null for ping. */
  readonly paths: PathState[] | null;
  /** TLS tests: each target's latest handshake (probe index, phases, certificate, error). */
  readonly tls: Signal<LatestTls | null>[];
  /** Id of the last event applied; the stream resumes after it. */
  lastId = 0;
  readonly #slot: Map<string, number>;

  constructor(
    meta: TestMeta,
    reports: TargetReport[] | null,
    /** A finished test's last handshake per target (it is not replayed). */
    tls?: (LatestTls | null)[],
  ) {
    this.meta = meta;
    this.status = signal<string>(meta.status);
    this.#slot = new Map(meta.targets.map((t, i) => [t.id, i]));
    this.reports = meta.targets.map((t) =>
      signal(reports?.find((r) => r.target === t.id) ?? null)
    );
    this.probes = meta.targets.map(() => ({
      index: [],
      x: [],
      rtt: [],
      lost: [],
      lostCount: 0,
    }));
    this.tls = meta.targets.map((_, i) => signal(tls?.[i] ?? null));
    this.bucket = bucketSeconds(meta.settings.interval_ms);
    this.folded = meta.targets.map(() => newFolded(this.bucket));
    this.#quality = meta.targets.map(newQualitySeries);
    this.paths = meta.settings.mode === "path"
      ? meta.targets.map(() => new PathState())
      : null;
  }

  /** Loss and jitter per bucket of a target, brought up to date. */
  quality(slot: number): QualitySeries {
    const q = this.#quality[slot];
    updateQuality(q, this.probes[slot], this.bucket);
    return q;
  }

  get running(): boolean {
    return this.status.value === "running";
  }

  /** Applies one event of the test's stream (call inside batch()). */
  apply(ev: RunEventBody): void {
    if (ev.type === "probe") this.#probe(ev.data);
    else if (ev.type === "interval" || ev.type === "summary") {
      this.#report(ev.data);
    } else if (ev.type === "status") {
      this.status.value = ev.data.status;
      if (ev.data.error) this.error.value = ev.data.error;
    } else if (ev.type === "end") this.status.value = ev.data.status;
    else this.#path(ev);
  }

  #path(ev: RunEventBody): void {
    const slot = this.#slot.get((ev.data as { target?: string }).target ?? "");
    const path = slot === undefined ? undefined : this.paths?.[slot];
    if (!path) return;
    if (ev.type === "hop") path.hop(ev.data);
    else if (ev.type === "route_change") path.routeChange(ev.data);
    else if (ev.type === "path") path.path(ev.data);
  }

  #probe(p: ProbeRecord): void {
    const slot = this.#slot.get(p.target);
    if (slot === undefined || p.status === "duplicate") return;
    const tls = this.tls[slot];
    if (p.tls && (tls.value?.index ?? -1) < p.index) {
      tls.value = { index: p.index, tls: p.tls, error: p.error ?? null };
    }
    const s = this.probes[slot];
    // Replies arrive out of order (a loss is known only at its timeout).
    let at = s.index.length;
    while (at > 0 && s.index[at - 1] > p.index) at--;
    if (s.index[at - 1] === p.index) return;
    const lost = LOST.has(p.status);
    const f = this.folded[slot];
    // A probe's first report (reply, or loss at its timeout) comes long before
    // its stretch is folded: a later one (late after lost) changes nothing.
    if (p.index <= f.lastIndex) return;
    s.index.splice(at, 0, p.index);
    s.x.splice(at, 0, p.sent_at / 1000);
    s.rtt.splice(at, 0, lost ? null : p.rtt_ms);
    s.lost.splice(at, 0, lost ? 1 : null);
    if (lost) s.lostCount++;
    this.#quality[slot].dirty.add(Math.floor(p.sent_at / 1000 / this.bucket));
    const due = dueToFold(s);
    if (due) foldFirst(s, f, due);
    this.version.value++;
  }

  #report(r: TargetReport): void {
    const slot = this.#slot.get(r.target);
    if (slot !== undefined) this.reports[slot].value = r;
  }
}
