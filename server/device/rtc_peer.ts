// The one module that knows node-datachannel (libdatachannel): answers a
// browser's offer and hands over its data channels as plain byte pipes, so
// another WebRTC implementation could replace it behind the same interface.
import type { DataChannel } from "node-datachannel";
import {
  datachannelLibrary,
  RtcUnavailableError,
  trackPeer,
} from "../../probe/device/ndc_library.ts";

export { RtcUnavailableError };

export interface RtcPeerOptions {
  /** UDP ports of the peer's candidates (inclusive); default: any. */
  ports?: { first: number; last: number };
  /** An address candidates are also offered on (1:1 NAT, a container's published ports). */
  publicAddress?: string;
  /** How long to gather candidates before answering; default 5000 ms. */
  gatherMs?: number;
}

export interface RtcChannel {
  readonly label: string;
  /** False once closed or when the buffer is full (the message is not sent). */
  send(data: Uint8Array | string): boolean;
  onMessage(cb: (data: Uint8Array | string) => void): void;
  onClosed(cb: () => void): void;
  close(): void;
}

export interface RtcPeer {
  /** The answer SDP, candidates included (no trickle). */
  readonly answer: string;
  onChannel(cb: (ch: RtcChannel) => void): void;
  /** The connection failed or closed (the other side went away). */
  onGone(cb: (why: string) => void): void;
  /** The remote address of the selected candidate pair, once connected. */
  remoteAddress(): string | null;
  close(): void;
}

let peers = 0;

function wrapChannel(dc: DataChannel): RtcChannel {
  let closed = false;
  const closers: (() => void)[] = [];
  dc.onClosed(() => {
    closed = true;
    for (const c of closers) c();
  });
  return {
    label: dc.getLabel(),
    send(data) {
      if (closed) return false;
      try {
        return typeof data === "string"
          ? dc.sendMessage(data)
          : dc.sendMessageBinary(data);
      } catch {
        return false;
      }
    },
    onMessage(cb) {
      dc.onMessage((m) => {
        if (typeof m === "string") cb(m);
        else if (m instanceof ArrayBuffer) cb(new Uint8Array(m));
        else cb(new Uint8Array(m.buffer, m.byteOffset, m.byteLength));
      });
    },
    onClosed(cb) {
      if (closed) cb();
      else closers.push(cb);
    },
    close() {
      if (closed) return;
      closed = true;
      try {
        dc.close();
      } catch { /* already gone */ }
    },
  };
}

/** Adds a copy of each IPv4 host candidate on the public address, at a lower priority. */
export function withPublicAddress(sdp: string, address: string): string {
  const out: string[] = [];
  for (const line of sdp.split(/\r?\n/)) {
    out.push(line);
    const m = line.match(
      /^a=candidate:(\S+) (\d+) (udp|UDP) (\d+) (\d+\.\d+\.\d+\.\d+) (\d+) typ host(.*)$/,
    );
    if (m && m[5] !== address) {
      const priority = Math.max(1, Number(m[4]) - 1000);
      out.push(
        `a=candidate:${m[1]}9 ${m[2]} ${m[3]} ${priority} ${address} ${
          m[6]
        } typ host${m[7]}`,
      );
    }
  }
  return out.join("\r\n");
}

/** Answers an offer; rejects when the SDP is not one libdatachannel accepts. */
export async function answerOffer(
  offer: string,
  options: RtcPeerOptions = {},
): Promise<RtcPeer> {
  const ndc = await datachannelLibrary();
  const pc = trackPeer(
    new ndc.PeerConnection(`pla-device-${++peers}`, {
      // Host candidates only: an internal tool, no STUN or TURN servers.
      iceServers: [],
      ...(options.ports
        ? {
          portRangeBegin: options.ports.first,
          portRangeEnd: options.ports.last,
        }
        : {}),
    }),
  );
  let closed = false;
  const goneCbs: ((why: string) => void)[] = [];
  const pending: DataChannel[] = [];
  let channelCb: ((ch: RtcChannel) => void) | null = null;
  pc.onDataChannel((dc) => {
    if (channelCb) channelCb(wrapChannel(dc));
    else pending.push(dc);
  });
  const gone = (why: string) => {
    for (const cb of goneCbs.splice(0)) cb(why);
  };
  pc.onStateChange((state) => {
    if (state === "failed" || state === "closed" || state === "disconnected") {
      gone(`connection ${state}`);
    }
  });
  const gathered = new Promise<void>((resolve) => {
    pc.onGatheringStateChange((s) => {
      if (s === "complete") resolve();
    });
  });
  try {
    pc.setRemoteDescription(offer, "offer");
  } catch (e) {
    pc.close();
    throw new Error(`offer: not a usable SDP offer (${(e as Error).message})`);
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    gathered,
    new Promise((r) => timer = setTimeout(r, options.gatherMs ?? 5000)),
  ]);
  clearTimeout(timer);
  const desc = pc.localDescription();
  if (!desc?.sdp) {
    pc.close();
    throw new Error("offer: no answer could be made for it");
  }
  const answer = options.publicAddress
    ? withPublicAddress(desc.sdp, options.publicAddress)
    : desc.sdp;
  return {
    answer,
    onChannel(cb) {
      channelCb = cb;
      for (const dc of pending.splice(0)) cb(wrapChannel(dc));
    },
    onGone(cb) {
      if (closed) cb("closed");
      else goneCbs.push(cb);
    },
    remoteAddress() {
      try {
        return pc.getSelectedCandidatePair()?.remote.address ?? null;
      } catch {
        return null;
      }
    },
    close() {
      if (closed) return;
      closed = true;
      try {
        pc.close();
      } catch { /* already gone */ }
    },
  };
}
