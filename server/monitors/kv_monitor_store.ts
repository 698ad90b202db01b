// Monitors in Deno KV (MonitorStore on the KV file). Keys:
//   ["mon_point", id, res, t]  encoded point (point_codec.ts), expireIn by res
//   ["mon_gap", id, from]      {from, to}: no data (the service was down)
//   ["mon_spec", id]           a monitor created through the API
//   ["mon_hops", id, t]        path mode: the step's hops, compact
// Hour and day points are rolled up from the stored finer points once the
// hour or day is complete (rollUp), restart-safe: it resumes after the
// newest stored rollup.
import type {
  MonitorGap,
  MonitorPoint,
  MonitorRetention,
  MonitorSpec,
  Resolution,
} from "../../model/monitor.ts";
import { decodePoint, encodePoint } from "./point_codec.ts";
import {
  DEFAULT_RETENTION,
  type HopRow,
  type MonitorStore,
  retentionMs,
} from "./monitor_store.ts";
import { rollUpPass } from "./rollup_pass.ts";

export class KvMonitorStore implements MonitorStore {
  constructor(
    readonly kv: Deno.Kv,
    readonly retention: MonitorRetention = DEFAULT_RETENTION,
  ) {}

  #expire(res: Resolution): number {
    return retentionMs(this.retention, res);
  }

  async putPoint(id: string, res: Resolution, p: MonitorPoint): Promise<void> {
    // KV's expireIn is relative to now: an old point (seeded, or rolled up
    // late) expires when its own age reaches the retention.
    const left = this.#expire(res) - (Date.now() - p.t);
    if (left <= 0) return;
    await this.kv.set(["mon_point", id, res, p.t], encodePoint(p), {
      expireIn: left,
    });
  }

  /** Points with from <= t < to, oldest first (at most `limit`). */
  async points(
    id: string,
    res: Resolution,
    from: number,
    to: number,
    limit = 100_000,
  ): Promise<MonitorPoint[]> {
    const out: MonitorPoint[] = [];
    const iter = this.kv.list<Uint8Array>({
      start: ["mon_point", id, res, from],
      end: ["mon_point", id, res, to],
    }, { limit, batchSize: 500 });
    for await (const e of iter) {
      out.push(decodePoint(e.key[3] as number, e.value));
    }
    return out;
  }

  /** Points counted without decoding, for choosing a resolution. */
  async count(
    id: string,
    res: Resolution,
    from: number,
    to: number,
    cap: number,
  ): Promise<number> {
    let n = 0;
    const iter = this.kv.list({
      start: ["mon_point", id, res, from],
      end: ["mon_point", id, res, to],
    }, { limit: cap + 1, batchSize: 500 });
    for await (const _ of iter) n++;
    return n;
  }

  async lastPoint(
    id: string,
    res: Resolution = "step",
  ): Promise<MonitorPoint | null> {
    const iter = this.kv.list<Uint8Array>({ prefix: ["mon_point", id, res] }, {
      limit: 1,
      reverse: true,
    });
    for await (const e of iter) return decodePoint(e.key[3] as number, e.value);
    return null;
  }

  async putGap(id: string, gap: MonitorGap): Promise<void> {
    if (gap.to <= gap.from) return;
    const left = this.#expire("day") - (Date.now() - gap.to);
    if (left <= 0) return;
    await this.kv.set(["mon_gap", id, gap.from], gap, { expireIn: left });
  }

  /** Gaps overlapping [from, to). */
  async gaps(id: string, from: number, to: number): Promise<MonitorGap[]> {
    const out: MonitorGap[] = [];
    const iter = this.kv.list<MonitorGap>({
      start: ["mon_gap", id, 0],
      end: ["mon_gap", id, to],
    });
    for await (const e of iter) if (e.value.to > from) out.push(e.value);
    return out;
  }

  async putHops(id: string, t: number, hops: HopRow[]): Promise<void> {
    await this.kv.set(["mon_hops", id, t], hops, {
      expireIn: this.#expire("step"),
    });
  }

  async latestHops(id: string): Promise<{ t: number; hops: HopRow[] } | null> {
    const iter = this.kv.list<HopRow[]>({ prefix: ["mon_hops", id] }, {
      limit: 1,
      reverse: true,
    });
    for await (const e of iter) return { t: e.key[2] as number, hops: e.value };
    return null;
  }

  async putSpec(spec: MonitorSpec): Promise<void> {
    await this.kv.set(["mon_spec", spec.id], spec);
  }

  async deleteSpec(id: string): Promise<void> {
    await this.kv.delete(["mon_spec", id]);
  }

  async specs(): Promise<MonitorSpec[]> {
    const out: MonitorSpec[] = [];
    for await (const e of this.kv.list<MonitorSpec>({ prefix: ["mon_spec"] })) {
      out.push(e.value);
    }
    return out;
  }

  rollUp(id: string, upTo: number): Promise<MonitorPoint[]> {
    return rollUpPass(this, id, upTo);
  }

  /** The oldest point with t >= from, else null. */
  async firstPoint(id: string, res: Resolution, from = 0) {
    const iter = this.kv.list<Uint8Array>({
      start: ["mon_point", id, res, from],
      end: ["mon_point", id, res, Number.MAX_SAFE_INTEGER],
    }, { limit: 1 });
    for await (const e of iter) return decodePoint(e.key[3] as number, e.value);
    return null;
  }
}
