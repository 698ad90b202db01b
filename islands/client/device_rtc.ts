// The browser's side of a device test: an RTCPeerConnection with a reliable
// control channel and an unreliable probe channel (ordered: false,
// maxRetransmits: 0), the offer sent whole (no trickle) to
// POST /api/device-tests, then the shared prober on a timer.
import type { ProblemBody } from "../../model/problem.ts";
import { DeviceProber } from "../../model/device_prober.ts";
import {
  CONTROL_LABEL,
  PROBE_LABEL,
  type ServerControl,
} from "../../model/device_wire.ts";

export interface DeviceStarted {
  id: string;
  settings: {
    size: number;
    rate: number;
    duration_s: number;
    delay_ms: number;
    warmup_s: number;
  };
  /** Stops early (the test ends `stopped`). */
  stop(): void;
  /** Resolves when the prober finished or the server ended the test. */
  done: Promise<void>;
}

const problem = (detail: string, field?: string): ProblemBody => ({
  type: "about:blank",
  title: "Device test failed",
  status: 0,
  detail,
  ...(field ? { field } : {}),
});

const waitFor = (ok: () => boolean, on: (cb: () => void) => void, ms: number) =>
  new Promise<boolean>((resolve) => {
    if (ok()) return resolve(true);
    const timer = setTimeout(() => resolve(ok()), ms);
    on(() => {
      if (ok()) {
        clearTimeout(timer);
        resolve(true);
      }
    });
  });

export async function startDeviceTest(
  request: Record<string, unknown>,
): Promise<DeviceStarted | ProblemBody> {
  const pc = new RTCPeerConnection({ iceServers: [] });
  const control = pc.createDataChannel(CONTROL_LABEL);
  const probes = pc.createDataChannel(PROBE_LABEL, {
    ordered: false,
    maxRetransmits: 0,
  });
  probes.binaryType = "arraybuffer";
  await pc.setLocalDescription(await pc.createOffer());
  await waitFor(
    () => pc.iceGatheringState === "complete",
    (cb) => pc.addEventListener("icegatheringstatechange", cb),
    5000,
  );
  let res: Response;
  try {
    res = await fetch("/api/device-tests", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        offer: { type: "offer", sdp: pc.localDescription!.sdp },
        ...request,
        client: navigator.userAgent.slice(0, 200),
      }),
    });
  } catch (e) {
    pc.close();
    return problem(`cannot reach the server (${(e as Error).message})`);
  }
  const body = await res.json().catch(() => null);
  if (res.status !== 201 || !body) {
    pc.close();
    return body ?? problem(`${res.status} ${res.statusText}`);
  }
  await pc.setRemoteDescription(body.answer);
  const open = await waitFor(
    () => control.readyState === "open" && probes.readyState === "open",
    (cb) => {
      control.addEventListener("open", cb);
      probes.addEventListener("open", cb);
    },
    15_000,
  );
  if (!open) {
    pc.close();
    return problem(
      "the data channels did not open: the server's device-test UDP ports are not reachable from this device",
    );
  }
  const prober = new DeviceProber(body.settings, {
    sendProbe: (b) => {
      if (probes.readyState === "open") {
        probes.send(b as Uint8Array<ArrayBuffer>);
      }
    },
    sendControl: (m) => {
      if (control.readyState === "open") control.send(JSON.stringify(m));
    },
    now: () => performance.timeOrigin + performance.now(),
  });
  probes.onmessage = (e) => prober.onEcho(new Uint8Array(e.data));
  let finish!: () => void;
  const done = new Promise<void>((r) => finish = r);
  const timer = setInterval(() => {
    if (prober.tick()) {
      clearInterval(timer);
      // The server answers `end` once it has it all; close after that.
      setTimeout(() => {
        pc.close();
        finish();
      }, 5000);
    }
  }, 4);
  control.onmessage = (e) => {
    try {
      const m = JSON.parse(e.data) as ServerControl;
      if (m.t === "end") {
        clearInterval(timer);
        pc.close();
        finish();
      }
    } catch { /* not for us */ }
  };
  return {
    id: body.id,
    settings: body.settings,
    stop: () => {
      clearInterval(timer);
      prober.stop();
    },
    done,
  };
}
