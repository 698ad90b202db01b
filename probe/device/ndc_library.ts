// Loads libdatachannel's Node binding (npm:node-datachannel) for the echo
// peer and the terminal client. The package's own loader probes the libc
// (process.report: --allow-sys) and stats its build folder (read access to
// the npm cache), which the narrow task permissions do not grant; the
// prebuilt platform package loads with --allow-ffi alone, so it comes first.
import { createRequire } from "node:module";

type Ndc = typeof import("node-datachannel").default;
let loaded: Ndc | undefined;

/** libdatachannel cannot be loaded here (device tests are unavailable). */
export class RtcUnavailableError extends Error {}

/**
 * Sets the answer; retried for up to 2 s while libdatachannel has not yet made
 * the ICE transport of the local offer (seen with the first connection of a
 * process: "Got a remote candidate without ICE transport").
 */
export async function setAnswer(
  pc: { setRemoteDescription(sdp: string, type: "answer"): void },
  sdp: string,
): Promise<void> {
  const end = Date.now() + 2000;
  while (true) {
    try {
      return pc.setRemoteDescription(sdp, "answer");
    } catch (e) {
      if (!/without ICE transport/.test(String(e)) || Date.now() > end) throw e;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

type Peer = InstanceType<Ndc["PeerConnection"]>;
const live = new Set<Peer>();

/** Registers a peer so closeAllPeers() can wait for its end. */
export function trackPeer<P extends Peer>(pc: P): P {
  live.add(pc);
  return pc;
}

/**
 * Closes every tracked peer and waits (at most `limitMs`) until each says
 * "closed", then a moment for their last callbacks. libdatachannel's threads
 * call back into the isolate that made the peer; a `deno test` file whose
 * isolate ends first would panic the process with a late callback.
 */
export async function closeAllPeers(limitMs = 3000): Promise<void> {
  const peers = [...live];
  live.clear();
  for (const pc of peers) {
    try {
      pc.close();
    } catch { /* already closed */ }
  }
  const end = Date.now() + limitMs;
  const open = () =>
    peers.some((pc) => {
      try {
        return pc.state() !== "closed";
      } catch {
        return false;
      }
    });
  while (open() && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 20));
  }
  await new Promise((r) => setTimeout(r, 200));
}

/** The binding's PeerConnection and friends; loaded once, on first use. */
export async function datachannelLibrary(): Promise<Ndc> {
  if (loaded) return loaded;
  const errors: string[] = [];
  if (Deno.build.os === "linux" && Deno.build.arch === "x86_64") {
    try {
      // Resolved through deno.json's import map (a prebuilt binary).
      loaded = createRequire(import.meta.url)(
        "@node-datachannel/linux-x64-gnu",
      ) as Ndc;
      return loaded;
    } catch (e) {
      errors.push((e as Error).message.split("\n")[0]);
    }
  }
  try {
    loaded = (await import("node-datachannel")).default;
    return loaded;
  } catch (e) {
    errors.push((e as Error).message.split("\n")[0]);
    throw new RtcUnavailableError(
      `device tests: libdatachannel (npm:node-datachannel) cannot be loaded: ${
        errors.join("; ")
      } (it needs --allow-ffi; on other platforms than Linux x86-64 also --allow-sys and read access to the npm cache)`,
    );
  }
}
