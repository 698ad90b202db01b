// The one place that knows where the native shim lives and how it is built.
const here = new URL(".", import.meta.url);

/** Absolute path of the shim's C source. */
export const shimSource = new URL("pla_icmp.c", here).pathname;
/** Absolute path of the shim's header. */
export const shimHeader = new URL("pla_icmp.h", here).pathname;

/** Absolute path of the built shared library; `PLA_SHIM` overrides it. */
export function shimLibraryPath(): string {
  let override: string | undefined;
  try {
    override = Deno.env.get("PLA_SHIM");
  } catch {
    // Without --allow-env the default path stands.
  }
  return override || new URL("libpla_icmp.so", here).pathname;
}
