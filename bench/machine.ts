// The machine description that goes above the table.
import type { Peers } from "./peers.ts";
import { runCommand } from "../testing/run_command.ts";

async function sh(cmd: string, args: string[]): Promise<string> {
  try {
    return (await runCommand(cmd, args)).stdout.trim();
  } catch {
    return "unknown";
  }
}

export async function describeMachine(peers: Peers): Promise<string> {
  const lscpu = await sh("lscpu", []);
  const model = /^Model name:\s*(.+)$/m.exec(lscpu)?.[1] ?? "unknown";
  const mem = /^MemTotal:\s*(\d+) kB/m.exec(await sh("cat", ["/proc/meminfo"]));
  return [
    `- CPUs: ${await sh("nproc", [])} × ${model}`,
    `- Memory: ${mem ? (Number(mem[1]) / 1048576).toFixed(1) + " GiB" : "?"}`,
    `- Kernel: ${await sh("uname", ["-sr"])}`,
    `- Deno: ${Deno.version.deno} (V8 ${Deno.version.v8})`,
    `- ping: ${peers.ping ?? "not installed"}`,
    `- fping: ${peers.fping ?? "not installed"}`,
    `- Date: ${new Date().toISOString()}`,
  ].join("\n");
}
