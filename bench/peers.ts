// The peers measured in the same run: iputils ping and fping (Debian packages).
import { runCommand } from "../testing/run_command.ts";

export interface Peers {
  /** Version line, or null when the tool is missing. */
  ping: string | null;
  fping: string | null;
}

async function versionOf(cmd: string, args: string[]): Promise<string | null> {
  try {
    const out = await runCommand(cmd, args);
    const text = out.stdout + out.stderr;
    return text.split("\n").find((l) => l.trim())?.trim() ?? cmd;
  } catch {
    return null;
  }
}

let found: Promise<Peers> | undefined;

/** Which peers are installed, with their versions. */
export function findPeers(): Promise<Peers> {
  found ??= (async () => ({
    ping: await versionOf("ping", ["-V"]),
    fping: await versionOf("fping", ["-v"]),
  }))();
  return found;
}

/** Why a peer is missing, naming the Debian package to install. */
export function missingPeer(name: "ping" | "fping"): string {
  const pkg = name === "ping" ? "iputils-ping" : "fping";
  return `'${name}' not found: install it with apt-get install -y ${pkg}`;
}

/**
 * Probes sent and lost in `fping -C` output (stderr: one line per target,
 * `host : rtt rtt - rtt`, `-` for a lost probe); throws when fping failed
 * (exit 2 and above) or reported other than `expected` probes.
 */
export function fpingCounts(
  r: { code: number; stderr: string },
  expected: number,
): { sent: number; lost: number } {
  if (r.code > 1) {
    throw new Error(`fping exit ${r.code}: ${r.stderr.trim().split("\n")[0]}`);
  }
  let sent = 0, lost = 0;
  for (const line of r.stderr.split("\n")) {
    const m = /^\S+\s+: (.*)$/.exec(line);
    if (!m) continue;
    for (const v of m[1].trim().split(/\s+/)) {
      sent++;
      if (v === "-") lost++;
    }
  }
  if (sent !== expected) {
    throw new Error(`fping reported ${sent} of ${expected} probes`);
  }
  return { sent, lost };
}
