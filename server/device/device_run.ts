// One device test while it runs: the echo peer's channels fed into the
// ledger, the probes echoed at once, reports published every period, and
// the end (done, stopped, the client gone silent or away, too long) turned
// into the runner's RunHandle.
import type { RunHandle } from "../agents/executor.ts";
import type { RunEmit } from "../runs/runner.ts";
import type { TestMeta } from "../../model/run.ts";
import type { ProbeRecord } from "../../model/probe.ts";
import { clientControl } from "../../model/device.ts";
import {
  CONTROL_LABEL,
  decodeProbe,
  PROBE_LABEL,
  T_WARMUP,
  toEcho,
} from "../../model/device_wire.ts";
import type { RtcChannel, RtcPeer } from "./rtc_peer.ts";
import { DeviceLedger } from "./device_ledger.ts";
import type { DeviceCounters } from "./device_metrics.ts";

export interface DeviceRunOptions {
  meta: TestMeta;
  peer: RtcPeer;
  emit: RunEmit;
  /** Silence from the client (no message at all) that ends the test `interrupted`. */
  idleMs: number;
  /** How long the data channels may take to open. */
  openMs: number;
  /** Period of the `device` and `interval` reports; default 1000 ms. */
  reportEveryMs?: number;
  counters?: DeviceCounters;
}

/** Control messages above this are dropped unread (results messages are far smaller). */
const MAX_CONTROL_BYTES = 4096;

export function startDeviceRun(o: DeviceRunOptions): RunHandle {
  const { meta, peer, emit } = o;
  const device = meta.device!;
  const settings = device.settings;
  const address = device.client_address;
  const ledger = new DeviceLedger(settings);
  const opened = performance.now();
  let lastHeard = opened;
  let probeChannel: RtcChannel | null = null;
  let control: RtcChannel | null = null;
  let ended = false;
  let stopped = false;
  let interrupted: string | undefined;
  let error: string | undefined;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => resolveDone = r);
  const counters = o.counters;
  // Echo rate cap: 1.5 × the agreed rate, with a burst of half a second.
  const burst = Math.max(10, settings.rate / 2);
  let tokens = burst;
  let refilled = opened;
  const maxMs = (settings.warmup_s + settings.duration_s) * 1000 +
    2 * settings.delay_ms + 10_000;

  const drop = () => {
    ledger.dropped++;
    counters?.dropped();
  };
  const onProbe = (data: Uint8Array | string) => {
    const now = performance.now();
    lastHeard = now;
    tokens = Math.min(
      burst,
      tokens + (now - refilled) * settings.rate * 1.5 / 1000,
    );
    refilled = now;
    // Only probes of exactly the agreed size are answered: the echo is never
    // larger than what came in, and nothing else is sent back.
    if (typeof data === "string" || data.length !== settings.size) {
      return drop();
    }
    const p = decodeProbe(data);
    if (!p || tokens < 1) return drop();
    tokens--;
    if (p.type !== T_WARMUP) {
      const at = performance.timeOrigin + now;
      if (ledger.arrive(p.seq, p.sentMs, at) !== "ok") return drop();
    }
    probeChannel?.send(toEcho(data, ledger.arrived, (now - opened) * 1000));
    counters?.echoed(data.length);
  };
  const probe = (r: ProbeRecord) =>
    emit("probe", { timestamp: new Date(r.sent_at).toISOString(), ...r });
  const onControl = (data: Uint8Array | string) => {
    lastHeard = performance.now();
    if (typeof data !== "string" || data.length > MAX_CONTROL_BYTES) {
      return drop();
    }
    let parsed;
    try {
      parsed = clientControl.safeParse(JSON.parse(data));
    } catch {
      return drop();
    }
    if (!parsed.success) return drop();
    const m = parsed.data;
    if (m.t === "results") {
      if (!ledger.results(m.packets, probe, address)) drop();
    } else if (m.t === "stop") end("stopped");
    else if (ledger.done(m.sent, probe, address)) finish();
    else drop();
  };

  peer.onChannel((ch) => {
    if (ch.label === PROBE_LABEL && !probeChannel) {
      probeChannel = ch;
      ch.onMessage(onProbe);
    } else if (ch.label === CONTROL_LABEL && !control) {
      control = ch;
      ch.onMessage(onControl);
      ch.send(JSON.stringify({ t: "hello", id: meta.id, version: 1 }));
      ch.onClosed(() => {
        if (!ledger.complete) {
          end("interrupted", "the client closed the test's channel");
        }
      });
    } else ch.close();
  });
  peer.onGone((why) => {
    if (!ledger.complete) end("interrupted", `the client went away (${why})`);
  });

  const report = () => {
    const ev = ledger.event();
    device.summary = ev.summary;
    emit("device", ev);
  };
  const tick = setInterval(() => {
    const now = performance.now();
    if (!probeChannel || !control) {
      if (now - opened > o.openMs) {
        end(
          "failed",
          `no data channel opened within ${
            o.openMs / 1000
          } s (are the device test's UDP ports reachable from the client?)`,
        );
      }
      return;
    }
    if (now - lastHeard > o.idleMs) {
      return end(
        "interrupted",
        `the client went silent for ${o.idleMs / 1000} s`,
      );
    }
    if (now - opened > maxMs) {
      return end("interrupted", "the test ran past its maximum duration");
    }
    report();
  }, o.reportEveryMs ?? 1000);

  function finish() {
    end("completed");
  }

  function end(
    how: "completed" | "stopped" | "interrupted" | "failed",
    why?: string,
  ) {
    if (ended) return;
    ended = true;
    clearInterval(tick);
    if (how === "stopped") stopped = true;
    if (how === "interrupted") interrupted = why;
    if (how === "failed") error = why;
    report();
    counters?.ended(how);
    const status = how === "completed" ? "completed" : how;
    control?.send(JSON.stringify({ t: "end", id: meta.id, status }));
    // Let the end message leave before the connection closes.
    setTimeout(() => peer.close(), 200);
    resolveDone();
  }

  const family = address.includes(":") ? 6 : 4;
  return {
    targets: [{ target: "device", host: address, address, family }],
    done,
    get stopped() {
      return stopped;
    },
    get interrupted() {
      return interrupted;
    },
    get error() {
      return error;
    },
    stop: () => end("stopped"),
    stopTarget: () => end("stopped"),
    stats: () => ledger.stats(),
  };
}
