// Number formatting shared by the server-rendered pages and the islands.

/** Milliseconds with precision that suits their size; "–" when unknown. */
export function fmtMs(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "–";
  const digits = v < 1 ? 3 : v < 10 ? 2 : v < 100 ? 1 : 0;
  return `${v.toFixed(digits)} ms`;
}

export function fmtPct(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "–";
  return `${v === 0 || v === 100 ? v : v.toFixed(2)} %`;
}

export function fmtNum(v: number | null | undefined, digits = 0): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "–";
  return v.toFixed(digits);
}

/** "2026-11-26 01:05:58" in UTC: the same on the server and in every browser. */
export function fmtTime(iso: string | null | undefined): string {
  if (!iso) return "–";
  return iso.replace("T", " ").replace(/\.\d+Z$|Z$/, "") + " UTC";
}

/** "every 1000 ms × 30" or "every 1000 ms for 60 s". */
export function fmtPlan(
  s: { interval_ms: number; count?: number; duration_s?: number; size: number },
): string {
  const run = s.count !== undefined
    ? ` × ${s.count}`
    : s.duration_s !== undefined
    ? ` for ${s.duration_s} s`
    : "";
  return `every ${s.interval_ms} ms${run}, ${s.size} B`;
}
