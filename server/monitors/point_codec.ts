// The stored form of a monitor point: unsigned varints, every time in whole
// microseconds (the engine's figures are rounded to 3 decimals of a ms, so
// nothing is lost). `t` is in the key; loss_pct is derived from sent and
// received exactly as the statistics define it. A 20-probe step on one path
// takes 40-60 bytes (point_codec_test.ts measures it).
//
// Layout: version, span_s, sent, received, late, duplicates, jitter_pairs,
// then min, median, avg, max, jitter as µs + 1 (0 = null), the deciles count
// and each decile as a delta from the previous (µs), the histogram's pair
// count and each pair as (index delta, count).
import type { MonitorPoint } from "../../model/monitor.ts";

const VERSION = 1;

class Writer {
  buf = new Uint8Array(64);
  n = 0;
  put(v: number): void {
    if (!(v >= 0) || !Number.isSafeInteger(v)) {
      throw new RangeError(`point codec: not a non-negative integer: ${v}`);
    }
    while (true) {
      if (this.n === this.buf.length) {
        const b = new Uint8Array(this.buf.length * 2);
        b.set(this.buf);
        this.buf = b;
      }
      if (v < 128) {
        this.buf[this.n++] = v;
        return;
      }
      this.buf[this.n++] = (v % 128) | 128;
      v = Math.floor(v / 128);
    }
  }
}

class Reader {
  i = 0;
  constructor(readonly buf: Uint8Array) {}
  get(): number {
    let v = 0, mul = 1;
    while (true) {
      if (this.i >= this.buf.length) {
        throw new RangeError("point codec: truncated");
      }
      const b = this.buf[this.i++];
      v += (b & 127) * mul;
      if (b < 128) return v;
      mul *= 128;
    }
  }
}

const us = (ms: number) => Math.max(0, Math.round(ms * 1000));
const optUs = (ms: number | null) => ms === null ? 0 : us(ms) + 1;
const fromOpt = (v: number) => v === 0 ? null : (v - 1) / 1000;

export function encodePoint(p: MonitorPoint): Uint8Array {
  const w = new Writer();
  w.put(VERSION);
  w.put(Math.round(p.span_s));
  w.put(p.sent);
  w.put(p.received);
  w.put(p.late);
  w.put(p.duplicates);
  w.put(p.jitter_pairs ?? Math.max(0, p.received - 1));
  for (
    const x of [
      p.min_rtt_ms,
      p.median_rtt_ms,
      p.avg_rtt_ms,
      p.max_rtt_ms,
      p.jitter_ms,
    ]
  ) {
    w.put(optUs(x));
  }
  w.put(p.deciles_ms.length);
  let prev = 0;
  for (const d of p.deciles_ms) {
    const v = us(d);
    w.put(Math.max(0, v - prev));
    prev = Math.max(prev, v);
  }
  w.put(p.hist.length);
  let prevIdx = 0;
  for (const [i, n] of p.hist) {
    w.put(i - prevIdx);
    w.put(n);
    prevIdx = i;
  }
  return w.buf.slice(0, w.n);
}

export function decodePoint(t: number, bytes: Uint8Array): MonitorPoint {
  const r = new Reader(bytes);
  const version = r.get();
  if (version !== VERSION) {
    throw new RangeError(`point codec: version ${version}`);
  }
  const span_s = r.get();
  const sent = r.get();
  const received = r.get();
  const late = r.get();
  const duplicates = r.get();
  const jitter_pairs = r.get();
  const [min, median, avg, max, jitter] = [0, 0, 0, 0, 0].map(() =>
    fromOpt(r.get())
  );
  const deciles_ms: number[] = [];
  let acc = 0;
  for (let k = r.get(); k > 0; k--) {
    acc += r.get();
    deciles_ms.push(acc / 1000);
  }
  const hist: [number, number][] = [];
  let idx = 0;
  for (let k = r.get(); k > 0; k--) {
    idx += r.get();
    hist.push([idx, r.get()]);
  }
  return {
    t,
    span_s,
    sent,
    received,
    loss_pct: sent === 0
      ? 0
      : Math.round(100 * (sent - received) / sent * 1000) / 1000,
    late,
    duplicates,
    min_rtt_ms: min,
    median_rtt_ms: median,
    avg_rtt_ms: avg,
    max_rtt_ms: max,
    deciles_ms,
    jitter_ms: jitter,
    jitter_pairs,
    hist,
  };
}
