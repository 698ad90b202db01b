// TEST-ONLY: a raw device-test client over node-datachannel for tests and
// benches that need more than the terminal client does (a flood of bad
// messages, a client that goes silent, many tests at once): the signalling
// done, both channels open, the rest up to the caller.
import type { DataChannel, PeerConnection } from "node-datachannel";
import {
  datachannelLibrary,
  setAnswer,
  trackPeer,
} from "../probe/device/ndc_library.ts";
import { CONTROL_LABEL, PROBE_LABEL } from "../model/device_wire.ts";
import type { DeviceSettings } from "../model/device.ts";

export interface RawDevicePeer {
  id: string;
  settings: DeviceSettings;
  pc: PeerConnection;
  control: DataChannel;
  probes: DataChannel;
  /** Binary messages received on the probe channel. */
  echoes: Uint8Array[];
  /** Waits until the channel's buffered amount is below `bytes`. */
  drain(ch: DataChannel, bytes?: number): Promise<void>;
  close(): void;
}

const until = async (ok: () => boolean, ms: number, what: string) => {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

/**
 * Signals a device test at `base` with `request` and opens the channels;
 * `reliableProbes` makes the probe channel reliable (exact delivery, for
 * counting what the server drops).
 */
export async function connectDevicePeer(
  base: string,
  request: Record<string, unknown>,
  { reliableProbes = false, keepEchoes = true } = {},
): Promise<RawDevicePeer> {
  const ndc = await datachannelLibrary();
  const pc = trackPeer(
    new ndc.PeerConnection("pla-test", {
      iceServers: [],
      disableAutoNegotiation: true,
    }),
  );
  let gathered = false;
  pc.onGatheringStateChange((s) => gathered ||= s === "complete");
  const control = pc.createDataChannel(CONTROL_LABEL);
  const probes = pc.createDataChannel(
    PROBE_LABEL,
    reliableProbes ? {} : { unordered: true, maxRetransmits: 0 },
  );
  const echoes: Uint8Array[] = [];
  probes.onMessage((m) => {
    if (typeof m !== "string" && keepEchoes) {
      echoes.push(
        m instanceof ArrayBuffer
          ? new Uint8Array(m)
          : new Uint8Array(m.buffer, m.byteOffset, m.byteLength).slice(),
      );
    }
  });
  // Explicitly, once both channels exist: auto-negotiation may read the
  // description before the ICE transport is made.
  pc.setLocalDescription();
  await until(() => gathered, 10_000, "gathering");
  const res = await fetch(`${base}/api/device-tests`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      offer: { type: "offer", sdp: pc.localDescription()!.sdp },
      ...request,
    }),
  });
  const body = await res.json();
  if (res.status !== 201) {
    pc.close();
    throw new Error(`POST /api/device-tests: ${res.status} ${body.detail}`);
  }
  await setAnswer(pc, body.answer.sdp);
  await until(
    () => control.isOpen() && probes.isOpen(),
    15_000,
    "channels open",
  );
  return {
    id: body.id,
    settings: body.settings,
    pc,
    control,
    probes,
    echoes,
    drain: (ch, bytes = 64 * 1024) =>
      until(() => ch.bufferedAmount() < bytes, 15_000, "drain"),
    close: () => pc.close(),
  };
}
