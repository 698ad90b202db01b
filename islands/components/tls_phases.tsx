// TLS tests: a target's latest handshake in phases (TCP connect, TLS
// handshake) as a proportional bar and figures, with what the server
// presented (protocol, cipher, certificate, days until expiry) and why the
// certificate failed, if it did.
import type { ProbeSpec } from "../../model/probe.ts";
import type { LatestTls } from "../../model/probe.ts";
import { fmtMs } from "./format.ts";

/** "tls:443", "tcp-syn:22"; "icmp" without a spec. */
export function probeKindText(probe: ProbeSpec | undefined): string {
  if (!probe || probe.kind === "icmp") return "icmp";
  return `${probe.kind}:${probe.port}`;
}

export function TlsPhases({ latest }: { latest: LatestTls | null }) {
  if (!latest) {
    return (
      <p class="muted" data-testid="tls-phases">
        TLS handshake: waiting for the first probe…
      </p>
    );
  }
  const t = latest.tls;
  const total = t.connect_ms + (t.handshake_ms ?? 0);
  const share = (ms: number) => `${total > 0 ? (100 * ms) / total : 0}%`;
  return (
    <div class="tls-phases" data-testid="tls-phases">
      <p
        class="tls-bar"
        role="img"
        aria-label={`TCP connect ${fmtMs(t.connect_ms)}, TLS handshake ${
          fmtMs(t.handshake_ms)
        }`}
        style="display:flex;height:0.8em;margin:0.3em 0"
      >
        <span
          style={`width:${
            share(t.connect_ms)
          };background:#4c78a8;min-width:2px`}
        />
        <span
          style={`width:${
            share(t.handshake_ms ?? 0)
          };background:#f58518;min-width:2px`}
        />
      </p>
      <dl
        class="tls-facts"
        style="display:grid;grid-template-columns:max-content 1fr;gap:0.15em 1em;margin:0"
      >
        <dt>
          <span style="color:#4c78a8">■</span> TCP connect
        </dt>
        <dd data-testid="tls-connect">{fmtMs(t.connect_ms)}</dd>
        <dt>
          <span style="color:#f58518">■</span> TLS handshake
        </dt>
        <dd data-testid="tls-handshake">{fmtMs(t.handshake_ms)}</dd>
        {t.protocol && (
          <>
            <dt>Protocol</dt>
            <dd data-testid="tls-protocol">
              {t.protocol} {t.cipher && <small>{t.cipher}</small>}
            </dd>
          </>
        )}
        {t.subject && (
          <>
            <dt>Certificate</dt>
            <dd data-testid="tls-subject">
              {t.subject} <small>issued by {t.issuer ?? "?"}</small>
            </dd>
          </>
        )}
        {t.days_left !== undefined && (
          <>
            <dt>Expires</dt>
            <dd data-testid="tls-days">
              {t.days_left < 0
                ? `expired ${-t.days_left} days ago`
                : `in ${t.days_left} days`} <small>{t.valid_to}</small>
            </dd>
          </>
        )}
      </dl>
      {latest.error && (
        <p class="error" data-testid="tls-error">
          Probe #{latest.index}: {latest.error}
        </p>
      )}
    </div>
  );
}
