// The one place that knows where the native shim lives and how it is built.
const here = new URL(".", import.meta.url);
const pathOf = (url: URL) => decodeURIComponent(url.pathname);

/** Absolute path of this directory (probe/native), for `cc -I`. */
export const nativeDir = pathOf(here).replace(/\/$/, "");
/** Absolute path of the shim's C source. */
export const shimSource = pathOf(new URL("pla_icmp.c", here));
/** Absolute path of the shim's header. */
export const shimHeader = pathOf(new URL("pla_icmp.h", here));
/** Absolute path of the wire helpers shared with the test bed's C. */
export const wireHeader = pathOf(new URL("pla_wire.h", here));

/** Absolute path of the built shared library; `PLA_SHIM` overrides it. */
export function shimLibraryPath(): string {
  let override: string | undefined;
  try {
    override = Deno.env.get("PLA_SHIM");
  } catch {
    // Without --allow-env the default path stands.
  }
  return override || pathOf(new URL("libpla_icmp.so", here));
}
/** Absolute paths of the tcp-syn half of the shim (built into the same library). */
export const tcpSource = pathOf(new URL("pla_tcp.c", here));
export const tcpHeader = pathOf(new URL("pla_tcp.h", here));
