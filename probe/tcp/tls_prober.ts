// tls: a tcp-connect, then a TLS handshake over it (SNI: the target's host
// name; none for an IP literal), timed in phases with the user-space clock,
// then closed. The certificate is checked (chain against the system's roots
// plus any CA the engine was told to trust, and the name) but a failure does
// not abort the handshake: the probe reports what the server presented and
// is an `error` naming the reason (CERT_HAS_EXPIRED, ...).
import tls from "node:tls";
import type { Answer, KindProber } from "./kind_run.ts";
import type { KindSlot } from "./kind_slot.ts";
import type { ResolvedTarget } from "../target.ts";
import { timedConnect } from "./connect_prober.ts";
import { isIpLiteral } from "./host_name.ts";
import type { TlsInfo } from "../../model/probe.ts";
import { ExtraTrust } from "./tls_trust.ts";

const round3 = (x: number) => Math.round(x * 1000) / 1000;
const DAY_MS = 86_400_000;

/** A certificate name object ({CN, O, ...}) as one line. */
function nameText(n: Record<string, unknown> | undefined): string | undefined {
  if (!n) return undefined;
  const parts = Object.entries(n).map(([k, v]) =>
    `${k}=${Array.isArray(v) ? v.join("+") : String(v)}`
  );
  return parts.length ? parts.join(", ") : undefined;
}

export class TlsProber implements KindProber {
  readonly kind = "tls" as const;
  /** CAs (or pinned certificates) trusted besides Deno's default roots. */
  readonly trust = new ExtraTrust();

  start(
    target: ResolvedTarget,
    port: number,
    slot: KindSlot,
    answer: (a: Answer) => void,
  ): () => void {
    let secure: tls.TLSSocket | undefined;
    const raw = timedConnect(target, port, slot, (socket, connectMs) => {
      const t1 = performance.now();
      const host = target.name ?? target.host;
      const fail = (code: string) =>
        answer({
          rttMs: null,
          receivedMs: Date.now(),
          kernelTs: false,
          error: code,
          tls: { connect_ms: connectMs, handshake_ms: null },
        });
      try {
        secure = tls.connect({
          socket,
          servername: isIpLiteral(host) ? undefined : host,
          host,
          rejectUnauthorized: false,
        });
      } catch (e) {
        socket.destroy();
        fail((e as NodeJS.ErrnoException).code ?? (e as Error).message);
        return;
      }
      const s = secure;
      s.once("secureConnect", () => {
        const handshakeMs = round3(performance.now() - t1);
        const info: TlsInfo = {
          connect_ms: connectMs,
          handshake_ms: handshakeMs,
        };
        const protocol = s.getProtocol();
        if (protocol) info.protocol = protocol;
        const cipher = s.getCipher()?.name;
        if (cipher) info.cipher = cipher;
        const cert = s.getPeerCertificate();
        if (cert && Object.keys(cert).length) {
          info.subject = nameText(
            cert.subject as unknown as Record<string, unknown>,
          );
          info.issuer = nameText(
            cert.issuer as unknown as Record<string, unknown>,
          );
          const validTo = Date.parse(cert.valid_to);
          if (Number.isFinite(validTo)) {
            info.valid_to = new Date(validTo).toISOString();
            info.days_left = Math.floor((validTo - Date.now()) / DAY_MS);
          }
        }
        let reason: string | null = s.authorized
          ? null
          : String(s.authorizationError ?? "UNAUTHORIZED");
        if (reason !== null && cert?.raw) {
          reason = this.trust.recheck(reason, cert.raw, host);
        }
        info.authorized = reason === null;
        s.destroy();
        if (reason !== null) {
          info.cert_error = reason;
          answer({
            rttMs: null,
            receivedMs: Date.now(),
            kernelTs: false,
            error: reason,
            tls: info,
          });
          return;
        }
        answer({
          rttMs: round3(connectMs + handshakeMs),
          receivedMs: Date.now(),
          kernelTs: false,
          tls: info,
        });
      });
      s.once("error", (e: NodeJS.ErrnoException) => {
        s.destroy();
        fail(e.code ?? e.message);
      });
    }, (code) => {
      answer({
        rttMs: null,
        receivedMs: Date.now(),
        kernelTs: false,
        error: code,
      });
    });
    return () => {
      secure?.destroy();
      raw.destroy();
    };
  }
}
