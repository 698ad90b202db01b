// Whether a host as typed is an IP literal (no SNI, no name to check).
import { isIP } from "node:net";

export function isIpLiteral(host: string): boolean {
  return isIP(host.replace(/^\[|\]$/g, "").replace(/%.*$/, "")) !== 0;
}
