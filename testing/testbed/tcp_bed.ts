// A test bed for the TCP probe kinds: the link-emulation bed's namespace
// (198.18.0.0/15) with a TCP listener on LISTEN_PORT, nothing on CLOSED_PORT
// (the kernel answers RST) and an nftables rule dropping every SYN to
// FILTERED_PORT with a counter: the exact truth of what was dropped.
import { createTestbed, type Testbed } from "./testbed.ts";
import { nftCounters, nftScript } from "./bed_nft.ts";
import { runCommand } from "../run_command.ts";
import { testbedUnavailableReason } from "./testbed.ts";

export const LISTEN_PORT = 8443;
export const CLOSED_PORT = 8444;
export const FILTERED_PORT = 8445;
/** Served with TLS when createTcpBed is given a certificate. */
export const TLS_PORT = 8446;

export interface TcpBed {
  readonly bed: Testbed;
  readonly target: string;
  /** Drops this share (0..1) of SYNs to LISTEN_PORT at random, counted. */
  dropListening(share: number): Promise<void>;
  /** Packets counted by the drop rules: "filtered" and "listening". */
  counters(): Promise<{ filtered: number; listening: number }>;
  [Symbol.asyncDispose](): Promise<void>;
}

function ruleset(share: number): string {
  const pct = Math.round(share * 100);
  // Only SYNs: our kernel's RSTs (answering SYN-ACKs) go to the same port.
  const syn = "tcp flags & (syn | ack) == syn";
  return `table inet pla_tcp
delete table inet pla_tcp
table inet pla_tcp {
  counter filtered { }
  counter listening { }
  chain input {
    type filter hook input priority 0; policy accept;
    tcp dport ${FILTERED_PORT} ${syn} counter name filtered drop
    ${
    pct > 0
      ? `tcp dport ${LISTEN_PORT} ${syn} numgen random mod 100 < ${pct} counter name listening drop`
      : ""
  }
  }
}
`;
}

/** Why the bed cannot be built here (root, ip, nft), or null. */
export async function tcpBedUnavailableReason(): Promise<string | null> {
  const bed = await testbedUnavailableReason();
  if (bed) return bed;
  try {
    const r = await runCommand("nft", ["--version"]);
    return r.code === 0 ? null : "'nft' does not work";
  } catch {
    return "'nft' not found (install nftables)";
  }
}

export interface TcpBedOptions {
  /**
   * Also serve TLS on TLS_PORT with the certificate that `tls` makes for the
   * target's address (PEM files, in a directory the listener may read).
   */
  tls?: (
    address: string,
  ) => Promise<{ dir: string; cert: string; key: string }>;
}

export async function createTcpBed(opts: TcpBedOptions = {}): Promise<TcpBed> {
  const bed = await createTestbed({ kernelEcho: true });
  const target = bed.targetAddress;
  const script = new URL("tcp_listener.ts", import.meta.url).pathname;
  const tls = opts.tls ? await opts.tls(target) : null;
  const child = new Deno.Command("ip", {
    args: [
      "netns",
      "exec",
      bed.nsName,
      Deno.execPath(),
      "run",
      "--allow-net",
      ...(tls ? [`--allow-read=${tls.dir}`] : []),
      script,
      target,
      String(LISTEN_PORT),
      ...(tls ? [`tls:${TLS_PORT}:${tls.cert}:${tls.key}`] : []),
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.getReader();
  const first = await reader.read();
  if (
    !new TextDecoder().decode(first.value ?? new Uint8Array()).includes("ready")
  ) {
    throw new Error("tcp listener did not start");
  }
  reader.releaseLock();
  await nftScript(bed.nsName, ruleset(0));
  return {
    bed,
    target,
    dropListening: (share) => nftScript(bed.nsName, ruleset(share)),
    async counters() {
      const m = await nftCounters(bed.nsName, "pla_tcp");
      return {
        filtered: m.get("filtered") ?? NaN,
        listening: m.get("listening") ?? NaN,
      };
    },
    async [Symbol.asyncDispose]() {
      await child.stdin.close().catch(() => {});
      await child.stdout.cancel().catch(() => {});
      await child.status;
      await bed.destroy();
    },
  };
}
