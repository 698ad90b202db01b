// A probe of a TCP or TLS kind: an ICMP probe slot plus what the kind adds
// to its record (kind, port, how TCP answered, the TLS handshake).
import type {
  ProbeKind,
  ProbeRecord,
  TcpAnswer,
  TlsInfo,
} from "../../model/probe.ts";
import { ProbeSlot } from "../probe_slot.ts";
import type { ResolvedTarget } from "../target.ts";

export class KindSlot extends ProbeSlot {
  tcp?: TcpAnswer;
  tls?: TlsInfo;

  constructor(
    index: number,
    seq: number,
    readonly kind: ProbeKind,
    readonly port: number,
  ) {
    super(index, seq);
  }

  override record(
    t: ResolvedTarget,
    status: ProbeRecord["status"],
    rttMs: number | null,
  ): ProbeRecord {
    const rec = super.record(t, status, rttMs);
    rec.kind = this.kind;
    rec.port = this.port;
    if (this.tcp && status !== "lost") rec.tcp = this.tcp;
    if (this.tls && status !== "lost") rec.tls = this.tls;
    return rec;
  }
}
