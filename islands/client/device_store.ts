// A device test's state in the page, fed by its event stream (live or
// replayed): the summary, per-packet RTTs with the direction of each loss,
// and per-report loss and jitter for the charts.
import { batch, signal } from "@preact/signals";
import type { RunEventBody } from "../../model/events.ts";
import type { DeviceSummary } from "../../model/device.ts";

export interface DeviceStoreMeta {
  id: string;
  status: string;
  /** Probes the test sends (rate × duration): the RTT chart's x range. */
  count: number;
  error?: string;
}

export class DeviceStore {
  readonly meta: DeviceStoreMeta;
  readonly status = signal("running");
  readonly error = signal<string | null>(null);
  readonly summary = signal<DeviceSummary | null>(null);
  readonly connected = signal(true);
  /** Bumped when the chart data below changed. */
  readonly version = signal(0);
  lastId = 0;
  /** Per packet (index = seq): RTT in ms or null, and 1 where lost up / down. */
  readonly x: number[];
  readonly rtt: (number | null)[];
  readonly up: (number | null)[];
  readonly down: (number | null)[];
  /** Per device report: seconds since the first, loss % and jitter ms per direction in that stretch. */
  readonly t: number[] = [];
  readonly upLoss: (number | null)[] = [];
  readonly downLoss: (number | null)[] = [];
  readonly upJitter: (number | null)[] = [];
  readonly downJitter: (number | null)[] = [];
  #first = NaN;
  #prev: DeviceSummary | null = null;

  constructor(meta: DeviceStoreMeta, summary: DeviceSummary | null) {
    this.meta = meta;
    this.status.value = meta.status;
    this.error.value = meta.error ?? null;
    this.summary.value = summary;
    const n = Math.min(meta.count, 200_000);
    this.x = Array.from({ length: n }, (_, i) => i);
    this.rtt = new Array(n).fill(null);
    this.up = new Array(n).fill(null);
    this.down = new Array(n).fill(null);
  }

  get running(): boolean {
    return this.status.value === "running";
  }

  apply(ev: RunEventBody): void {
    batch(() => {
      if (ev.type === "probe") {
        const i = ev.data.index;
        if (i < this.rtt.length) this.rtt[i] = ev.data.rtt_ms;
        this.version.value++;
      } else if (ev.type === "device") {
        const d = ev.data;
        for (const s of d.lost_up) if (s < this.up.length) this.up[s] = 1;
        for (const s of d.lost_down) if (s < this.down.length) this.down[s] = 1;
        this.#quality(d.timestamp, d.summary);
        this.summary.value = d.summary;
        this.version.value++;
      } else if (ev.type === "status") {
        this.status.value = ev.data.status;
        if (ev.data.error) this.error.value = ev.data.error;
      } else if (ev.type === "end") {
        this.status.value = ev.data.status;
      }
    });
  }

  /** Loss and jitter of the stretch since the previous report. */
  #quality(timestamp: string, s: DeviceSummary): void {
    const at = Date.parse(timestamp) / 1000;
    if (Number.isNaN(this.#first)) this.#first = at;
    const p = this.#prev;
    const sent = s.upload.sent - (p?.upload.sent ?? 0);
    const upLost = s.upload.lost - (p?.upload.lost ?? 0);
    const echoed = s.download.echoed - (p?.download.echoed ?? 0);
    const downLost = s.download.lost - (p?.download.lost ?? 0);
    this.t.push(at - this.#first);
    this.upLoss.push(sent > 0 ? 100 * upLost / sent : null);
    this.downLoss.push(echoed > 0 ? 100 * downLost / echoed : null);
    this.upJitter.push(s.upload.jitter_ms);
    this.downJitter.push(s.download.jitter_ms);
    this.#prev = s;
  }
}
