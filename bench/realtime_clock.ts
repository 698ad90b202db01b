// CLOCK_REALTIME in microseconds, read through libc: the clock the kernel
// stamps packets with, at full resolution (Date.now() has only milliseconds).
const CLOCK_REALTIME = 0;

const libc = Deno.dlopen("libc.so.6", {
  clock_gettime: { parameters: ["i32", "buffer"], result: "i32" },
});
const ts = new BigInt64Array(2);
const tsBytes = new Uint8Array(ts.buffer);

/** Microseconds since the epoch, CLOCK_REALTIME (ns precision, µs unit). */
export function realtimeUs(): number {
  libc.symbols.clock_gettime(CLOCK_REALTIME, tsBytes);
  return Number(ts[0]) * 1e6 + Number(ts[1]) / 1e3;
}
