// Live text lines of the TCP and TLS kinds (the CLI's text output).
import type { ProbeRecord, ProbeSettings, TlsInfo } from "../../model/probe.ts";

function tlsText(t: TlsInfo): string {
  const parts = [`connect=${t.connect_ms.toFixed(3)} ms`];
  if (t.handshake_ms !== null) {
    parts.push(`handshake=${t.handshake_ms.toFixed(3)} ms`);
  }
  if (t.protocol) parts.push(t.protocol);
  if (t.cipher) parts.push(t.cipher);
  if (t.subject) parts.push(`cert ${t.subject}`);
  if (t.days_left !== undefined) {
    parts.push(
      t.days_left < 0
        ? `expired ${-t.days_left} days ago`
        : `${t.days_left} days left`,
    );
  }
  return parts.join(" ");
}

/** One line per probe record of a TCP or TLS kind, like tcping's. */
export function kindLine(r: ProbeRecord, s: ProbeSettings): string {
  const addr = r.address.includes(":") ? `[${r.address}]` : r.address;
  const who = r.target === r.address
    ? `${addr}:${r.port}`
    : `${r.target} (${r.address}):${r.port}`;
  const head = `${r.kind} ${who}: seq=${r.index}`;
  const answer = r.tcp === "rst"
    ? "RST (port closed)"
    : r.tcp === "syn-ack"
    ? (r.kind === "tcp-syn" ? "SYN-ACK" : "connected")
    : "";
  const tls = r.tls ? ` ${tlsText(r.tls)}` : "";
  switch (r.status) {
    case "ok":
      return `${head} ${answer}${tls} time=${r.rtt_ms?.toFixed(3)} ms`.replace(
        "  ",
        " ",
      );
    case "late":
      return `${head} ${answer} time=${
        r.rtt_ms?.toFixed(3)
      } ms (LATE, after the ${s.timeout_ms} ms timeout)`;
    case "duplicate":
      return `${head} time=${r.rtt_ms?.toFixed(3)} ms (DUP!)`;
    case "lost":
      return `no answer from ${who}: seq=${r.index} within ${s.timeout_ms} ms`;
    case "error":
      return `${head} failed: ${r.error ?? "error"}${tls}`;
  }
}
