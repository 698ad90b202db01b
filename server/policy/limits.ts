// The config's limits, checked in one place for every way a test is started
// (API, seed aliases, the UI through the API): 422 when the request itself is
// too big, 429 with Retry-After when it must wait for running tests to end.
import { z } from "zod";
import type { ProbeSettings } from "../../model/probe.ts";
import { DEFAULT_MAX_HOPS } from "../../model/path.ts";
import { InvalidRequestError, LimitError } from "../errors.ts";

export const limitsSchema = z.object({
  min_interval_ms: z.number().min(1).max(3_600_000).default(10),
  max_duration_s: z.number().positive().max(31 * 86400).default(3600),
  /** Probes per target. */
  max_count: z.number().int().min(1).max(100_000_000).default(100_000),
  max_targets: z.number().int().min(1).max(1000).default(10),
  /** ICMP payload bytes; 1472 fills a 1500-byte IPv4 packet without fragments. */
  max_size: z.number().int().min(18).max(65_000).default(1472),
  max_concurrent_tests: z.number().int().min(1).max(1000).default(5),
  max_tests_per_user: z.number().int().min(1).max(1000).default(3),
  /** Probes per second summed over every running test (targets × hops × 1000 / interval_ms; hops = max_hops for a path test, else 1). */
  max_pps: z.number().positive().max(1_000_000).default(1000),
  /** Open event streams per user (per address when auth is open). */
  max_sse_per_client: z.number().int().min(1).max(10_000).default(20),
}).strict();
export type Limits = z.infer<typeof limitsSchema>;

const tooBig = (field: string, message: string): never => {
  throw new InvalidRequestError(`${field}: ${message}`, field);
};

/** Probes per round per target: every hop of a path test, else one. */
export const hopsOf = (settings: ProbeSettings) =>
  settings.mode === "path" ? settings.max_hops ?? DEFAULT_MAX_HOPS : 1;

/** Probes per second a test sends while it runs (a path test: one per hop). */
export const ppsOf = (targets: number, settings: ProbeSettings) =>
  targets * hopsOf(settings) * 1000 / settings.interval_ms;

/** How a test's probe rate is made up, for the refusals. */
function rateText(targets: number, settings: ProbeSettings): string {
  const pps = ppsOf(targets, settings);
  const hops = hopsOf(settings);
  const every = `every ${settings.interval_ms} ms`;
  return settings.mode === "path"
    ? `a path test probes every hop: ${targets} targets × ${hops} hops (max_hops) ${every} is ${pps} probes/s`
    : `${targets} targets ${every} is ${pps} probes/s`;
}

/** The 422 limits: what waiting cannot fix. */
export function checkRequestLimits(
  settings: ProbeSettings,
  targets: number,
  limits: Limits,
): void {
  const interval = settings.interval_ms;
  if (targets > limits.max_targets) {
    tooBig(
      "targets",
      `at most ${limits.max_targets} targets per test (limits.max_targets)`,
    );
  }
  if (interval < limits.min_interval_ms) {
    tooBig(
      "interval_ms",
      `must be at least ${limits.min_interval_ms} ms (limits.min_interval_ms)`,
    );
  }
  if (settings.size > limits.max_size) {
    tooBig("size", `at most ${limits.max_size} bytes (limits.max_size)`);
  }
  const field = settings.count !== undefined ? "count" : "duration_s";
  const seconds = settings.duration_s ?? settings.count! * interval / 1000;
  if (seconds > limits.max_duration_s) {
    tooBig(
      field,
      `the test would last ${seconds} s, at most ${limits.max_duration_s} s (limits.max_duration_s)`,
    );
  }
  const probes = settings.count ??
    Math.ceil(settings.duration_s! * 1000 / interval);
  if (probes > limits.max_count) {
    tooBig(
      field,
      `at most ${limits.max_count} probes per target (limits.max_count)`,
    );
  }
  const pps = ppsOf(targets, settings);
  if (pps > limits.max_pps) {
    tooBig(
      "interval_ms",
      `${
        rateText(targets, settings)
      }, at most ${limits.max_pps} (limits.max_pps)`,
    );
  }
}

/** A running test as the admission check sees it. */
export interface RunningTest {
  who: string;
  targets: number;
  settings: ProbeSettings;
  /** ms since the epoch. */
  startedAt: number;
}

/** When a running test is expected to have finished, ms since the epoch. */
function expectedEnd(t: RunningTest): number {
  const s = t.settings;
  const ms = s.duration_s !== undefined
    ? s.duration_s * 1000
    : (s.count ?? 0) * s.interval_ms;
  return t.startedAt + ms + s.timeout_ms;
}

/** The 429 limits: concurrency in total and per user, and the global probe rate. */
export function checkAdmission(
  running: RunningTest[],
  next: Omit<RunningTest, "startedAt">,
  limits: Limits,
  now = Date.now(),
  /** Probes per second the monitors send (they count against max_pps too). */
  monitorsPps = 0,
): void {
  const wait = (list: RunningTest[]) => {
    const soonest = Math.min(...list.map(expectedEnd));
    const s = Math.ceil((soonest - now) / 1000);
    return Math.max(1, Math.min(s, 86400));
  };
  if (running.length >= limits.max_concurrent_tests) {
    throw new LimitError(
      `at most ${limits.max_concurrent_tests} tests may run at once (limits.max_concurrent_tests)`,
      wait(running),
    );
  }
  const mine = running.filter((t) => t.who === next.who);
  if (mine.length >= limits.max_tests_per_user) {
    throw new LimitError(
      `at most ${limits.max_tests_per_user} tests per user may run at once (limits.max_tests_per_user); ${next.who} has ${mine.length}`,
      wait(mine),
    );
  }
  const busy = running.reduce(
    (sum, t) => sum + ppsOf(t.targets, t.settings),
    0,
  );
  const want = ppsOf(next.targets, next.settings);
  if (monitorsPps > 0 && monitorsPps + want > limits.max_pps) {
    // Waiting for tests cannot help: the monitors alone leave too little.
    tooBig(
      "interval_ms",
      `monitors send ${monitorsPps} probes/s; ${want} more would exceed ${limits.max_pps} (limits.max_pps)`,
    );
  }
  if (busy + monitorsPps + want > limits.max_pps) {
    throw new LimitError(
      `running tests send ${busy} probes/s${
        monitorsPps ? ` and monitors ${monitorsPps}` : ""
      }; ${want} more would exceed ${limits.max_pps} (limits.max_pps)` +
        (next.settings.mode === "path"
          ? ` (${rateText(next.targets, next.settings)})`
          : ""),
      running.length ? wait(running) : 60,
    );
  }
}
