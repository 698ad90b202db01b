// tcp-connect: an ordinary non-blocking connect(), timed from the call to its
// completion with the user-space clock, and closed at once. Needs no
// privilege; the time includes the local stack's and the event loop's work
// (see README "TCP and TLS probes"). A refused connection (the host's RST)
// is an answer: the host is there, the port closed.
import net from "node:net";
import type { Answer, KindProber } from "./kind_run.ts";
import type { KindSlot } from "./kind_slot.ts";
import type { ResolvedTarget } from "../target.ts";

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** Opens a TCP connection; `onOpen` gets it with the connect time, `onFail` an errno name (ECONNREFUSED: a RST). */
export function timedConnect(
  target: ResolvedTarget,
  port: number,
  slot: KindSlot,
  onOpen: (socket: net.Socket, connectMs: number) => void,
  onFail: (code: string, ms: number) => void,
): net.Socket {
  slot.sent_ms = Date.now();
  const t0 = performance.now();
  slot.sentMonotonic = t0;
  const socket = net.connect({
    host: target.address,
    port,
    family: target.family,
    noDelay: true,
  });
  socket.once("connect", () => onOpen(socket, round3(performance.now() - t0)));
  socket.once("error", (e: NodeJS.ErrnoException) => {
    onFail(e.code ?? e.message, round3(performance.now() - t0));
  });
  return socket;
}

export class ConnectProber implements KindProber {
  readonly kind = "tcp-connect" as const;

  start(
    target: ResolvedTarget,
    port: number,
    slot: KindSlot,
    answer: (a: Answer) => void,
  ): () => void {
    const socket = timedConnect(target, port, slot, (s, ms) => {
      s.destroy();
      answer({
        rttMs: ms,
        receivedMs: Date.now(),
        kernelTs: false,
        tcp: "syn-ack",
      });
    }, (code, ms) => {
      answer(
        code === "ECONNREFUSED"
          ? { rttMs: ms, receivedMs: Date.now(), kernelTs: false, tcp: "rst" }
          : {
            rttMs: null,
            receivedMs: Date.now(),
            kernelTs: false,
            error: code,
          },
      );
    });
    return () => socket.destroy();
  }
}
