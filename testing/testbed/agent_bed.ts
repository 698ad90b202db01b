// TEST-ONLY: a probe agent's "site" in network namespaces: an agent namespace
// joined to the root namespace by a veth pair (the agent reaches the service
// there), and behind it a host namespace on a second pair that only the agent
// namespace can reach (the root namespace's route to it is `unreachable`, so
// nothing leaves by a default route). Addresses are
// two /30s of 198.18.0.0/15. Needs root and iproute2 (bedUnavailableReason).
import { mustRun, runCommand } from "../run_command.ts";
import {
  intToIp,
  ipToInt,
  NS_PREFIX,
  overlaps,
  randomHex,
  removeStaleNamespaces,
  usedRanges,
} from "./testbed.ts";

export interface AgentSite {
  /** Where the agent process runs: `ip netns exec agentNs ...`. */
  agentNs: string;
  /** The root namespace's end of the agent's link (serve the service here). */
  serviceAddress: string;
  /** The host only the agent namespace can reach. */
  hostAddress: string;
  destroy(): Promise<void>;
}

const BASE = ipToInt("198.18.0.0");
const SIZE = 2 ** 17;
/** /30s handed out by this process (the inner ones are invisible to usedRanges). */
const taken: number[] = [];

async function pickSubnet(): Promise<number> {
  const used = await usedRanges();
  for (let i = 0; i < 1000; i++) {
    const start = BASE + (1 + Math.floor(Math.random() * (SIZE / 4 - 2))) * 4;
    const r = { start, end: start + 3 };
    if (used.some((u) => overlaps(u, r)) || taken.includes(start)) continue;
    taken.push(start);
    return start;
  }
  throw new Error("no free /30 in 198.18.0.0/15");
}

/** A veth pair between two namespaces ("" = root), addressed .1 / .2 of `start`'s /30. */
async function link(
  tag: string,
  a: string,
  b: string,
  start: number,
): Promise<void> {
  const [ifA, ifB] = [`pla${tag}`, `plb${tag}`];
  const nsA = a ? ["-n", a] : [];
  await mustRun("ip", [
    ...nsA,
    "link",
    "add",
    ifA,
    "type",
    "veth",
    "peer",
    "name",
    ifB,
    "netns",
    b,
  ]);
  await mustRun("ip", [
    ...nsA,
    "addr",
    "add",
    `${intToIp(start + 1)}/30`,
    "dev",
    ifA,
  ]);
  await mustRun("ip", [
    "-n",
    b,
    "addr",
    "add",
    `${intToIp(start + 2)}/30`,
    "dev",
    ifB,
  ]);
  await mustRun("ip", [...nsA, "link", "set", ifA, "up"]);
  await mustRun("ip", ["-n", b, "link", "set", ifB, "up"]);
}

export async function createAgentSite(): Promise<AgentSite> {
  await removeStaleNamespaces();
  const tag = randomHex(4);
  const agentNs = `${NS_PREFIX}${Deno.pid}-a${tag}`;
  const hostNs = `${NS_PREFIX}${Deno.pid}-h${tag}`;
  let blackhole: string | null = null;
  const destroy = async () => {
    if (blackhole) {
      await runCommand("ip", ["route", "del", "unreachable", blackhole])
        .catch(() => {});
    }
    for (const ns of [agentNs, hostNs]) {
      await runCommand("ip", ["netns", "del", ns]).catch(() => {});
    }
  };
  try {
    await mustRun("ip", ["netns", "add", agentNs]);
    await mustRun("ip", ["netns", "add", hostNs]);
    for (const ns of [agentNs, hostNs]) {
      await mustRun("ip", ["-n", ns, "link", "set", "lo", "up"]);
    }
    const outer = await pickSubnet();
    const inner = await pickSubnet();
    await link(`${tag}o`, "", agentNs, outer);
    await link(`${tag}i`, agentNs, hostNs, inner);
    // The root namespace must not send toward the host by its default route
    // (out to a real network): refused at once, locally.
    blackhole = `${intToIp(inner)}/30`;
    await mustRun("ip", ["route", "add", "unreachable", blackhole]);
    return {
      agentNs,
      serviceAddress: intToIp(outer + 1),
      hostAddress: intToIp(inner + 2),
      destroy,
    };
  } catch (e) {
    await destroy();
    throw e;
  }
}
