// A test's probes as compact columns per target, in send order, one final
// outcome per probe (a `late` report replaces the `lost` before it; duplicates
// are left out): what the series and the distribution are computed from.
// About 29 bytes a probe with the sorted RTTs, so a day at 10 probes/s is
// ~25 MB.
import type { RunEvent } from "../../model/events.ts";
import type { LatestTls } from "../../model/probe.ts";

/** Probe fates as stored in `status`. */
export const OK = 0, LOST = 1, LATE = 2, ERROR = 3;
export const STATUS_NAMES = ["ok", "lost", "late", "error"] as const;
const CODES: Record<string, number> = { ok: OK, lost: LOST, late: LATE };

export interface TargetProbes {
  target: string;
  /** Send times, epoch ms, ascending. */
  t: Float64Array;
  /** RTT of replies in time, ms; NaN for every other fate. */
  rtt: Float64Array;
  status: Uint8Array;
  index: Uint32Array;
  /** RTTs of the replies, ascending (the distribution), made on first use. */
  sorted?: Float64Array;
  /** The last TLS handshake (tls probes): the test page's TLS panel. */
  lastTls?: LatestTls | null;
}

export interface ProbeIndex {
  targets: TargetProbes[];
  bytes: number;
}

/** Columns filled by probe index (dense from 0), grown by doubling. */
class Builder {
  t = new Float64Array(1024);
  rtt = new Float64Array(1024);
  status = new Uint8Array(1024);
  present = new Uint8Array(1024);
  top = -1;
  lastTls: LatestTls | null = null;

  set(i: number, t: number, rtt: number, status: number): void {
    if (i >= this.t.length) this.#grow(i + 1);
    this.t[i] = t;
    this.rtt[i] = rtt;
    this.status[i] = status;
    this.present[i] = 1;
    if (i > this.top) this.top = i;
  }

  #grow(min: number): void {
    let n = this.t.length;
    while (n < min) n *= 2;
    const grow = <A extends Float64Array | Uint8Array>(
      a: A,
      B: new (n: number) => A,
    ) => {
      const b = new B(n);
      b.set(a);
      return b;
    };
    this.t = grow(this.t, Float64Array);
    this.rtt = grow(this.rtt, Float64Array);
    this.status = grow(this.status, Uint8Array);
    this.present = grow(this.present, Uint8Array);
  }

  finish(target: string): TargetProbes {
    let n = 0;
    for (let i = 0; i <= this.top; i++) n += this.present[i];
    const out: TargetProbes = {
      target,
      t: new Float64Array(n),
      rtt: new Float64Array(n),
      status: new Uint8Array(n),
      index: new Uint32Array(n),
      lastTls: this.lastTls,
    };
    let k = 0;
    let sorted = true;
    for (let i = 0; i <= this.top; i++) {
      if (!this.present[i]) continue;
      out.t[k] = this.t[i];
      out.rtt[k] = this.rtt[i];
      out.status[k] = this.status[i];
      out.index[k] = i;
      if (k > 0 && out.t[k] < out.t[k - 1]) sorted = false;
      k++;
    }
    return sorted ? out : sortByTime(out);
  }
}

/** Send times follow probe numbers; should a clock step break that, sort. */
function sortByTime(p: TargetProbes): TargetProbes {
  const order = Array.from(p.t.keys()).sort((a, b) => p.t[a] - p.t[b]);
  const pick = <A extends Float64Array | Uint8Array | Uint32Array>(a: A) =>
    a.map((_, i) => a[order[i]]) as A;
  return {
    target: p.target,
    t: pick(p.t),
    rtt: pick(p.rtt),
    status: pick(p.status),
    index: pick(p.index),
  };
}

/** Reads a test's event log (chunk by chunk) into an index, targets in `order`. */
export async function buildProbeIndex(
  chunks: AsyncIterable<RunEvent[]>,
  order: readonly string[],
): Promise<ProbeIndex> {
  const builders = new Map<string, Builder>();
  for (const id of order) builders.set(id, new Builder());
  for await (const chunk of chunks) {
    for (const ev of chunk) {
      if (ev.type !== "probe") continue;
      const p = ev.data;
      const code = CODES[p.status] ?? (p.status === "error" ? ERROR : -1);
      // Duplicates add nothing; path probes (to a hop) are the hop view's.
      if (code < 0 || p.hop !== undefined) continue;
      let b = builders.get(p.target);
      if (!b) builders.set(p.target, b = new Builder());
      if (p.tls && (b.lastTls?.index ?? -1) < p.index) {
        b.lastTls = { index: p.index, tls: p.tls, error: p.error ?? null };
      }
      b.set(
        p.index,
        p.sent_at,
        code === OK && p.rtt_ms !== null ? p.rtt_ms : NaN,
        code,
      );
    }
  }
  const targets = [...builders].map(([id, b]) => b.finish(id));
  const bytes = targets.reduce((s, p) => s + p.t.length * 29, 256);
  return { targets, bytes };
}

/** The replies' RTTs in ascending order (kept on the index for reuse). */
export function sortedRtts(p: TargetProbes): Float64Array {
  if (p.sorted) return p.sorted;
  let n = 0;
  for (let i = 0; i < p.status.length; i++) if (p.status[i] === OK) n++;
  const out = new Float64Array(n);
  let k = 0;
  for (let i = 0; i < p.status.length; i++) {
    if (p.status[i] === OK) out[k++] = p.rtt[i];
  }
  return p.sorted = out.sort();
}

/** First position in ascending `a` whose value is >= v. */
export function lowerBound(a: Float64Array, v: number): number {
  let lo = 0, hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
