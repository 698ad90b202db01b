// "1s", "250ms", "1.5m", "2h", or a bare number of seconds (as ping's -i).
const UNITS: Record<string, number> = {
  us: 0.001,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Milliseconds of a duration text; throws a message naming the problem. */
export function parseDuration(text: string, what: string): number {
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*(us|ms|s|m|h)?\s*$/.exec(text);
  if (!m) {
    throw new Error(
      `${what}: '${text}' is not a duration (use e.g. 500ms, 1s, 2m, 1h)`,
    );
  }
  const ms = Number(m[1]) * UNITS[m[2] ?? "s"];
  if (!Number.isFinite(ms)) throw new Error(`${what}: '${text}' is too large`);
  return ms;
}
