// iputils ping from the path bed's prober: running it (bounded in count and
// time, optionally without CAP_NET_RAW) and parsing what it prints.

import { mustRun } from "../run_command.ts";
import type { PathBed, PingOptions, PingResult } from "./path_bed_types.ts";

/** Parses iputils ping output. */
export function parsePing(stdout: string): Omit<PingResult, "stdout"> {
  const res: Omit<PingResult, "stdout"> = {
    transmitted: 0,
    received: 0,
    elapsedMs: 0,
    replySeqs: [],
    errors: [],
    timeExceededFrom: [],
    replyFrom: [],
  };
  for (const line of stdout.split("\n")) {
    let m = line.match(/^\d+ bytes from ([0-9a-fA-F.:]+?):? icmp_seq=(\d+)/);
    if (m) {
      res.replyFrom.push(m[1]);
      res.replySeqs.push(Number(m[2]));
      continue;
    }
    m = line.match(/^From ([0-9a-fA-F.:]+?):? icmp_seq=(\d+) (.*)$/);
    if (m) {
      res.errors.push({ from: m[1], seq: Number(m[2]), text: m[3] });
      if (/time to live exceeded|time exceeded/i.test(m[3])) {
        res.timeExceededFrom.push(m[1]);
      }
      continue;
    }
    m = line.match(/^(\d+) packets transmitted, (\d+) received/);
    if (m) {
      res.transmitted = Number(m[1]);
      res.received = Number(m[2]);
      const t = line.match(/, time (\d+)ms/);
      if (t) res.elapsedMs = Number(t[1]);
    }
  }
  return res;
}

/** A copy of ping for runs without CAP_NET_RAW, made on first use; remove() deletes it. */
export function plainPingCopy(): {
  path: () => Promise<string>;
  remove: () => Promise<void>;
} {
  // iputils ping carries the file capability cap_net_raw=ep, and exec of a
  // file whose capability the bounding set lacks fails (EPERM): without
  // CAP_NET_RAW the bed runs a copy without it (cp drops the xattr), which
  // falls back to a ping socket like any unprivileged program.
  let plainPing: Promise<string> | undefined;
  const plainPingPath = () => {
    plainPing ??= (async () => {
      const src = (await mustRun("sh", ["-c", "command -v ping"])).trim();
      // The name must not end in "6": iputils ping then acts as ping6
      // (IPv6 only), and a random name ended so one time in 16.
      const dst = await Deno.makeTempFile({
        prefix: "pla-ping-",
        suffix: "-plain",
      });
      await mustRun("cp", [src, dst]);
      await Deno.chmod(dst, 0o755);
      return dst;
    })();
    return plainPing;
  };
  return {
    path: plainPingPath,
    async remove() {
      if (plainPing) await Deno.remove(await plainPing).catch(() => {});
    },
  };
}

/** Runs iputils ping to `dst` through `runInSource` (the caller checks that `dst` is a bed address). */
export async function runPing(
  runInSource: PathBed["runInSource"],
  plainPingPath: () => Promise<string>,
  dst: string,
  o: PingOptions,
): Promise<PingResult> {
  const count = o.count ?? 1;
  if (!Number.isInteger(count) || count < 1 || count > 1000) {
    throw new Error(`ping: count must be 1..1000`);
  }
  const intervalMs = o.intervalMs ?? Math.min(200, 1000 / count);
  if (!(intervalMs >= 2 && intervalMs <= 1000)) {
    throw new Error("ping: intervalMs must be 2..1000");
  }
  const waitS = o.waitS ?? 1;
  if (!Number.isInteger(waitS) || waitS < 1 || waitS > 5) {
    throw new Error("ping: waitS must be 1..5");
  }
  const args = [
    "-n",
    "-c",
    String(count),
    "-i",
    (intervalMs / 1000).toFixed(3),
    "-W",
    String(waitS),
  ];
  if (o.ttl !== undefined) {
    if (!Number.isInteger(o.ttl) || o.ttl < 1 || o.ttl > 255) {
      throw new Error("ping: ttl must be 1..255");
    }
    args.push("-t", String(o.ttl));
  }
  if (o.ident !== undefined) {
    if (!Number.isInteger(o.ident) || o.ident < 0 || o.ident > 65535) {
      throw new Error("ping: ident must be 0..65535");
    }
    args.push("-e", String(o.ident));
  }
  if (o.size !== undefined) {
    if (!Number.isInteger(o.size) || o.size < 0 || o.size > 1000) {
      throw new Error("ping: size must be 0..1000");
    }
    args.push("-s", String(o.size));
  }
  args.push(dst);
  const limitMs = count * intervalMs + waitS * 1000 + 5000;
  const bin = o.noRawSockets ? await plainPingPath() : "ping";
  const r = await runInSource(bin, args, {
    noRawSockets: o.noRawSockets,
    signal: AbortSignal.timeout(limitMs),
  });
  // 0: all answered, 1: some missing (loss, time exceeded); anything else failed.
  if (r.code !== 0 && r.code !== 1) {
    throw new Error(
      `ping ${args.join(" ")} failed (${r.code}): ${r.stderr.trim()}`,
    );
  }
  return { ...parsePing(r.stdout), stdout: r.stdout };
}
