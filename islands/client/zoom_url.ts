// The zoomed range in the page's URL, so a view can be shared: `?from=&to=`
// in epoch milliseconds (ISO 8601 times are read too, as the API reads them).
import type { Range } from "./series_fetch.ts";

const timeOf = (raw: string | null): number | null => {
  if (!raw) return null;
  const ms = /^\d{1,16}$/.test(raw) ? Number(raw) : Date.parse(raw);
  return Number.isFinite(ms) ? ms : null;
};

/** The range in a query string, or null (the overview) when absent or unreadable. */
export function rangeOfSearch(search: string): Range | null {
  const q = new URLSearchParams(search);
  const from = timeOf(q.get("from"));
  const to = timeOf(q.get("to"));
  return from !== null && to !== null && from < to ? { from, to } : null;
}

/** `href` with the range set (or removed, for null), other parameters kept. */
export function hrefWithRange(href: string, range: Range | null): string {
  const u = new URL(href);
  if (range) {
    u.searchParams.set("from", String(Math.round(range.from)));
    u.searchParams.set("to", String(Math.round(range.to)));
  } else {
    u.searchParams.delete("from");
    u.searchParams.delete("to");
  }
  return u.pathname + u.search + u.hash;
}
