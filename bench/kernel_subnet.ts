// A /22 of 198.18.0.0/15 answered by the kernel of a test-bed namespace: a
// `local` route on its loopback makes every address in it the namespace's
// own, and the root namespace routes the /22 through the bed's veth. The /22
// is chosen clear of every address and route in use (including other beds'
// random /30s); once its route exists, new beds avoid it in turn.
import {
  intToIp,
  ipToInt,
  overlaps,
  type Testbed,
  usedRanges,
} from "../testing/testbed/testbed.ts";
import { runCommand } from "../testing/run_command.ts";

const BASE = ipToInt("198.18.0.0");
const BLOCKS = (1 << 17) / 1024;

export interface KernelSubnet {
  /** e.g. "198.18.44.0/22" */
  readonly prefix: string;
  /** The first `n` host addresses of the /22 (n ≤ 1022). */
  addresses(n: number): string[];
  /** ICMP echo replies the namespace's kernel has sent so far. */
  echoRepliesSent(): Promise<number>;
}

async function must(args: string[]): Promise<void> {
  const r = await runCommand("ip", args);
  if (r.code !== 0) {
    throw new Error(`ip ${args.join(" ")}: ${r.stderr.trim()}`);
  }
}

/** Adds the routes; they go with the bed's namespace (and veth) when it is destroyed. */
export async function kernelSubnet(bed: Testbed): Promise<KernelSubnet> {
  if (!bed.kernelEcho) throw new Error("the bed must keep kernel echo on");
  const used = await usedRanges();
  const first = 1 + Math.floor(Math.random() * (BLOCKS - 1));
  let start = -1;
  for (let i = 0; i < BLOCKS - 1 && start < 0; i++) {
    const s = BASE + (1 + (first - 1 + i) % (BLOCKS - 1)) * 1024;
    if (!used.some((u) => overlaps(u, { start: s, end: s + 1023 }))) start = s;
  }
  if (start < 0) throw new Error("no free /22 in 198.18.0.0/15");
  const prefix = `${intToIp(start)}/22`;
  await must(["-n", bed.nsName, "route", "add", "local", prefix, "dev", "lo"]);
  await must([
    "route",
    "add",
    prefix,
    "via",
    bed.targetAddress,
    "dev",
    bed.hostIf,
  ]);
  const clash = (await usedRanges()).some((u) =>
    u.ifname !== bed.hostIf && overlaps(u, { start, end: start + 1023 })
  );
  if (clash) {
    await runCommand("ip", ["route", "del", prefix]);
    throw new Error(`${prefix} was taken concurrently`);
  }
  return {
    prefix,
    addresses: (n) =>
      Array.from({ length: n }, (_, i) => intToIp(start + 1 + i)),
    async echoRepliesSent() {
      const r = await runCommand("ip", [
        "netns",
        "exec",
        bed.nsName,
        "cat",
        "/proc/net/snmp",
      ]);
      const lines = r.stdout.split("\n").filter((l) => l.startsWith("Icmp:"));
      const names = lines[0].split(/\s+/);
      const values = lines[1].split(/\s+/);
      return Number(values[names.indexOf("OutEchoReps")]);
    },
  };
}
