// What both CLI modes (ping and path) share: buffered stdout, and the exit
// status of a run that could not start.
import { HostResolveError } from "./resolve_target.ts";
import { IcmpPermissionError, TcpSynPermissionError } from "./icmp_errors.ts";

// Output is collected and written once per turn of the event loop: the
// engine reports many probes in one pass (a thousand targets: ~20 a pass),
// and one write a line made writes the CLI's largest cost after sending.
const encoder = new TextEncoder();
let buffered = "";
let flushQueued = false;

/** Queues one line (a newline is added) for stdout. */
export function out(line: string): void {
  write(line + "\n");
}

/** Queues text as is (no newline added) for stdout. */
export function write(text: string): void {
  buffered += text;
  if (buffered.length >= 1 << 16) flush();
  else if (!flushQueued) {
    flushQueued = true;
    queueMicrotask(flush);
  }
}

/** Writes everything queued now. */
export function flush(): void {
  flushQueued = false;
  if (buffered === "") return;
  const bytes = encoder.encode(buffered);
  buffered = "";
  for (let n = 0; n < bytes.length;) {
    n += Deno.stdout.writeSync(bytes.subarray(n));
  }
}

export const iso = (ms: number) => new Date(ms).toISOString();

/**
 * A run that failed to start: an unresolvable host is bad usage (2), no
 * ICMP (or tcp-syn raw socket) privilege makes probing impossible (3); the message goes to stderr.
 * Anything else is a bug and is thrown again.
 */
export function startFailure(e: unknown): number {
  if (e instanceof HostResolveError) {
    console.error(`probe: ${e.message}`);
    return 2;
  }
  if (e instanceof IcmpPermissionError || e instanceof TcpSynPermissionError) {
    console.error(`probe: ${e.message}`);
    return 3;
  }
  throw e;
}
