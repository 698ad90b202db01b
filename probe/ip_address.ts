// IP literals to and from the 16-byte form the shim takes.

export type Family = 4 | 6;

export interface ParsedAddress {
  family: Family;
  /** 16 bytes; IPv4 uses the first 4. */
  bytes: Uint8Array;
  /** IPv6 zone index for link-local addresses, else 0. */
  scopeId: number;
  /** Canonical text. */
  text: string;
}

function parseV4(s: string): Uint8Array | null {
  const parts = s.split(".");
  if (parts.length !== 4) return null;
  const out = new Uint8Array(16);
  for (let i = 0; i < 4; i++) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(parts[i])) return null;
    const v = Number(parts[i]);
    if (v > 255) return null;
    out[i] = v;
  }
  return out;
}

function parseV6(s: string): Uint8Array | null {
  if (!/^[0-9a-fA-F:.]+$/.test(s) || s.split("::").length > 2) return null;
  const lastColon = s.lastIndexOf(":");
  if (s.includes(".")) {
    // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hex groups.
    const v4 = parseV4(s.slice(lastColon + 1));
    if (!v4) return null;
    const hi = ((v4[0] << 8) | v4[1]).toString(16);
    const lo = ((v4[2] << 8) | v4[3]).toString(16);
    s = `${s.slice(0, lastColon + 1)}${hi}:${lo}`;
  }
  const halves = s.split("::");
  const groups = (x: string) => x === "" ? [] : x.split(":");
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if ([...head, ...tail].some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) {
    return null;
  }
  const given = head.length + tail.length;
  if (halves.length === 1 ? given !== 8 : given > 7) return null;
  const words = [...head, ...new Array(8 - given).fill("0"), ...tail];
  const out = new Uint8Array(16);
  words.forEach((g, i) => {
    const n = parseInt(g, 16);
    out[2 * i] = n >> 8;
    out[2 * i + 1] = n & 0xff;
  });
  return out;
}

/** Formats 16 bytes as an address of the family (IPv6 compressed per RFC 5952). */
export function formatAddress(family: Family, b: Uint8Array): string {
  if (family === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  const w: number[] = [];
  for (let i = 0; i < 8; i++) w.push((b[2 * i] << 8) | b[2 * i + 1]);
  let bestAt = -1, bestLen = 1;
  for (let i = 0; i < 8;) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) [bestAt, bestLen] = [i, j - i];
    i = j;
  }
  const hex = (a: number[]) => a.map((x) => x.toString(16)).join(":");
  if (bestAt < 0) return hex(w);
  return `${hex(w.slice(0, bestAt))}::${hex(w.slice(bestAt + bestLen))}`;
}

/** Parses an IPv4 or IPv6 literal (with an optional `%zone` on IPv6); null if it is not one. */
export function parseAddress(
  input: string,
  zoneIndex: (zone: string) => number | undefined = () => undefined,
): ParsedAddress | null {
  let s = input.trim();
  if (s.startsWith("[") && s.endsWith("]")) s = s.slice(1, -1);
  const v4 = parseV4(s);
  if (v4) {
    return { family: 4, bytes: v4, scopeId: 0, text: formatAddress(4, v4) };
  }
  let scopeId = 0;
  const pct = s.indexOf("%");
  if (pct >= 0) {
    const zone = s.slice(pct + 1);
    const idx = /^[0-9]+$/.test(zone) ? Number(zone) : zoneIndex(zone);
    if (idx === undefined || zone === "") return null;
    scopeId = idx;
    s = s.slice(0, pct);
  }
  const v6 = parseV6(s);
  if (!v6) return null;
  const text = formatAddress(6, v6);
  return {
    family: 6,
    bytes: v6,
    scopeId,
    text: pct >= 0
      ? `${text}%${input.slice(input.indexOf("%") + 1).replace(/]$/, "")}`
      : text,
  };
}
