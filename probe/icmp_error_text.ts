// Human names of the ICMP errors a probe can meet.
import type { Family } from "./ip_address.ts";

const V4_UNREACH = [
  "network unreachable",
  "host unreachable",
  "protocol unreachable",
  "port unreachable",
  "fragmentation needed",
  "source route failed",
  "destination network unknown",
  "destination host unknown",
  "source host isolated",
  "network administratively prohibited",
  "host administratively prohibited",
  "network unreachable for TOS",
  "host unreachable for TOS",
  "communication administratively prohibited",
  "host precedence violation",
  "precedence cutoff in effect",
];
const V6_UNREACH = [
  "no route to destination",
  "communication administratively prohibited",
  "beyond scope of source address",
  "address unreachable",
  "port unreachable",
  "source address failed policy",
  "reject route to destination",
];

/** e.g. "destination unreachable (host unreachable)". */
export function icmpErrorText(
  family: Family,
  type: number,
  code: number,
): string {
  if (family === 4) {
    if (type === 3) {
      return `destination unreachable (${V4_UNREACH[code] ?? `code ${code}`})`;
    }
    if (type === 11) {
      return code === 0
        ? "time to live exceeded in transit"
        : "fragment reassembly time exceeded";
    }
    if (type === 12) return "parameter problem";
  } else {
    if (type === 1) {
      return `destination unreachable (${V6_UNREACH[code] ?? `code ${code}`})`;
    }
    if (type === 2) return "packet too big";
    if (type === 3) {
      return code === 0
        ? "hop limit exceeded in transit"
        : "fragment reassembly time exceeded";
    }
    if (type === 4) return "parameter problem";
  }
  return `ICMPv${family} type ${type} code ${code}`;
}
