// Extra trust for tls probes (--ca-file, tls.ca_file): an internal CA, or a
// pinned self-signed certificate. Deno's node:tls `ca` option needs
// --allow-sys without a descriptor (it reads the system roots), so the
// handshake runs on Deno's default roots and, when they do not know the
// issuer, the certificate is checked here: issued (and signed) by one of
// these CAs, or one of them itself; then its dates and its name, as node:tls
// would. Deno reports no intermediates, so the CA must have issued the
// server's certificate directly.
import { X509Certificate } from "node:crypto";
import { isIP } from "node:net";

/** node:tls verification errors that mean "issuer not trusted". */
const UNKNOWN_ISSUER = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
]);

/** The certificates in a PEM text (a bundle); throws naming a bad one. */
export function parsePem(text: string): X509Certificate[] {
  const blocks = text.match(
    /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g,
  ) ?? [];
  if (blocks.length === 0) throw new Error("no PEM certificate in it");
  return blocks.map((b) => new X509Certificate(b));
}

export class ExtraTrust {
  readonly #cas: X509Certificate[] = [];

  add(pem: string): void {
    this.#cas.push(...parsePem(pem));
  }

  get size(): number {
    return this.#cas.length;
  }

  /**
   * The verdict on a certificate node:tls refused with `error`: null when
   * these CAs vouch for it and it is valid for `host`; else the reason.
   */
  recheck(error: string, raw: Uint8Array, host: string): string | null {
    if (!UNKNOWN_ISSUER.has(error) || this.#cas.length === 0) return error;
    const leaf = new X509Certificate(raw);
    const trusted = this.#cas.some((ca) =>
      ca.fingerprint256 === leaf.fingerprint256 ||
      (leaf.checkIssued(ca) && leaf.verify(ca.publicKey))
    );
    if (!trusted) return error;
    const now = Date.now();
    if (now > Date.parse(leaf.validTo)) return "CERT_HAS_EXPIRED";
    if (now < Date.parse(leaf.validFrom)) return "CERT_NOT_YET_VALID";
    const bare = host.replace(/^\[|\]$/g, "").replace(/%.*$/, "");
    const named = isIP(bare)
      ? leaf.checkIP(bare) !== undefined
      : leaf.checkHost(bare) !== undefined;
    return named ? null : "ERR_TLS_CERT_ALTNAME_INVALID";
  }
}
