// A device test from a machine without a browser: the same protocol as the
// page (model/device_prober.ts over node-datachannel's WebRTC), against a
// server's POST /api/device-tests; resolves with the stored test once it ended.
import type { DataChannel, PeerConnection } from "node-datachannel";
import { datachannelLibrary, setAnswer } from "./ndc_library.ts";
import { DeviceProber } from "../../model/device_prober.ts";
import {
  CONTROL_LABEL,
  PROBE_LABEL,
  type ServerControl,
} from "../../model/device_wire.ts";
import type { DeviceSettings, DeviceSummary } from "../../model/device.ts";

export interface DeviceClientOptions {
  /** The server's base URL, e.g. http://server:8080. */
  server: string;
  /** Request fields: preset and overrides. */
  request: {
    preset?: string;
    size?: number;
    rate?: number;
    duration_s?: number;
    delay_ms?: number;
    warmup_s?: number;
  };
  /** A Bearer token when the server needs sign-in. */
  token?: string;
  /** Called about every second while it runs. */
  onProgress?: (p: { sent: number; echoes: number; total: number }) => void;
  /** Leaves without `done` after this many probes (tests: a client that vanishes). */
  vanishAfter?: number;
}

export interface DeviceResult {
  id: string;
  status: string;
  error?: string;
  settings: DeviceSettings;
  summary: DeviceSummary | null;
}

/** A refusal by the server (its problem+json detail) or a failure to reach it. */
export class DeviceClientError extends Error {
  constructor(message: string, readonly status?: number) {
    super(message);
  }
}

const until = <T>(p: Promise<T>, ms: number, what: string) => {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, rej) =>
      timer = setTimeout(() => rej(new DeviceClientError(what)), ms)
    ),
  ]).finally(() => clearTimeout(timer));
};

const opened = (dc: DataChannel) =>
  new Promise<void>((resolve) => {
    if (dc.isOpen()) resolve();
    else dc.onOpen(() => resolve());
  });

export async function runDeviceClient(
  o: DeviceClientOptions,
): Promise<DeviceResult> {
  let ndc;
  try {
    ndc = await datachannelLibrary();
  } catch (e) {
    throw new DeviceClientError((e as Error).message);
  }
  const pc: PeerConnection = new ndc.PeerConnection("pla-cli", {
    iceServers: [],
    disableAutoNegotiation: true,
  });
  try {
    return await run(o, pc);
  } finally {
    pc.close();
  }
}

async function run(
  o: DeviceClientOptions,
  pc: PeerConnection,
): Promise<DeviceResult> {
  const base = o.server.replace(/\/+$/, "");
  const headers: Record<string, string> = {
    "content-type": "application/json",
    ...(o.token ? { authorization: `Bearer ${o.token}` } : {}),
  };
  const gathered = new Promise<void>((resolve) => {
    pc.onGatheringStateChange((s) => s === "complete" && resolve());
  });
  const control = pc.createDataChannel(CONTROL_LABEL);
  const probes = pc.createDataChannel(PROBE_LABEL, {
    unordered: true,
    maxRetransmits: 0,
  });
  // Explicitly, once both channels exist: auto-negotiation may hand out the
  // description before its ICE transport is made.
  pc.setLocalDescription();
  await until(gathered, 10_000, "could not gather local candidates");
  const offer = pc.localDescription();
  if (!offer) throw new DeviceClientError("no local offer could be made");
  let res: Response;
  try {
    res = await fetch(`${base}/api/device-tests`, {
      method: "POST",
      headers,
      body: JSON.stringify({
        offer: { type: "offer", sdp: offer.sdp },
        ...o.request,
        client: `pla-cli (Deno ${Deno.version.deno})`,
      }),
    });
  } catch (e) {
    throw new DeviceClientError(
      `cannot reach ${base}: ${(e as Error).message}`,
    );
  }
  const body = await res.json().catch(() => ({}));
  if (res.status !== 201) {
    throw new DeviceClientError(
      `the server refused the test (${res.status}): ${
        body.detail ?? body.title ?? "no detail"
      }`,
      res.status,
    );
  }
  const id: string = body.id;
  const settings: DeviceSettings = body.settings;
  await setAnswer(pc, body.answer.sdp);
  await until(
    Promise.all([opened(control), opened(probes)]),
    15_000,
    `test ${id}: the data channels did not open (are the server's device-test UDP ports reachable?)`,
  );
  let ended: (m: ServerControl) => void;
  const end = new Promise<ServerControl>((r) => ended = r);
  control.onMessage((m) => {
    if (typeof m !== "string") return;
    try {
      const msg = JSON.parse(m) as ServerControl;
      if (msg.t === "end") ended(msg);
    } catch { /* not for us */ }
  });
  const prober = new DeviceProber(settings, {
    sendProbe: (b) => {
      try {
        probes.sendMessageBinary(b);
      } catch { /* the channel closed: the probe is lost */ }
    },
    sendControl: (m) => {
      try {
        control.sendMessage(JSON.stringify(m));
      } catch { /* closed */ }
    },
    now: () => performance.timeOrigin + performance.now(),
  });
  probes.onMessage((m) => {
    if (typeof m === "string") return;
    const b = m instanceof ArrayBuffer
      ? new Uint8Array(m)
      : new Uint8Array(m.buffer, m.byteOffset, m.byteLength);
    prober.onEcho(b);
  });
  let last = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      if (o.vanishAfter !== undefined && prober.sent >= o.vanishAfter) {
        clearInterval(timer);
        pc.close();
        return resolve();
      }
      const finished = prober.tick();
      const now = performance.now();
      if (now - last >= 1000) {
        last = now;
        o.onProgress?.({
          sent: prober.sent,
          echoes: prober.echoes,
          total: prober.total,
        });
      }
      if (finished) {
        clearInterval(timer);
        resolve();
      }
    }, 2);
  });
  if (o.vanishAfter === undefined) {
    await until(end, 10_000, `test ${id}: the server did not end the test`)
      .catch(() => {});
  }
  return await finalTest(base, id, headers, settings);
}

/** Reads the test until it is no longer running (the server's verdict). */
async function finalTest(
  base: string,
  id: string,
  headers: Record<string, string>,
  settings: DeviceSettings,
): Promise<DeviceResult> {
  const deadline = Date.now() + 30_000;
  while (true) {
    const res = await fetch(`${base}/api/tests/${id}`, { headers });
    const t = await res.json();
    if (t.status !== "running" || Date.now() > deadline) {
      return {
        id,
        status: t.status,
        ...(t.error ? { error: t.error } : {}),
        settings,
        summary: t.summary ?? null,
      };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
