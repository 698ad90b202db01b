// sysctl in a path bed namespace: setting and reading values, and the ICMP
// rate-limit settings that make a router answer every probe.

import { mustRun } from "../run_command.ts";

/** ICMP rate-limit sysctls: "off" answers every probe; the kernel defaults come from a fresh namespace. */
export const NO_RATE_LIMIT: Record<string, string> = {
  "net.ipv4.icmp_ratelimit": "0",
  "net.ipv4.icmp_msgs_per_sec": "1000000",
  "net.ipv4.icmp_msgs_burst": "100000",
  "net.ipv6.icmp.ratelimit": "0",
};

/** Sets sysctls in namespace `ns`. */
export async function sysctlSet(
  ns: string,
  kv: Record<string, string>,
): Promise<void> {
  await mustRun("ip", [
    "netns",
    "exec",
    ns,
    "sysctl",
    "-qw",
    ...Object.entries(kv).map(([k, v]) => `${k}=${v}`),
  ]);
}

/** Reads sysctls in namespace `ns`, in the order of `keys`. */
export async function sysctlGet(
  ns: string,
  keys: string[],
): Promise<Record<string, string>> {
  const out = await mustRun("ip", [
    "netns",
    "exec",
    ns,
    "sysctl",
    "-n",
    ...keys,
  ]);
  const vals = out.split("\n").map((s) => s.trim()).filter((s) => s !== "");
  if (vals.length !== keys.length) {
    throw new Error(`sysctl -n ${keys.join(" ")}: ${out}`);
  }
  return Object.fromEntries(keys.map((k, i) => [k, vals[i]]));
}
