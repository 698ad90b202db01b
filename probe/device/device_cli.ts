// `deno task probe --device URL [--preset P | --size N --rate N --duration D]`:
// a device test from the terminal; the server's record printed as a table or
// as one JSON object per line.
import { parseArgs } from "node:util";
import { parseDuration } from "../duration.ts";
import { DEVICE_PRESET_IDS } from "../../model/device_presets.ts";
import type { DeviceSummary } from "../../model/device.ts";
import {
  DeviceClientError,
  type DeviceResult,
  runDeviceClient,
} from "./device_client.ts";

export const DEVICE_USAGE =
  `Device test (this machine against a server, over WebRTC, both directions):
  --device URL       the server, e.g. http://server:8080
  --preset P         ${
    DEVICE_PRESET_IDS.join(", ")
  } (default voip); the flags below override it
  --size N           message bytes, 16-1200
  --rate N           packets per second, 1-300
  --duration D       1s-180s
  --delay D          acceptable delay (later echoes are late, counted as lost), 1ms-1000ms
  --warmup D         probes sent first and not counted, 0-10s
  --token T          Bearer token when the server needs sign-in (or PLA_TOKEN)
  --output F         text (a table, the default) or json (one record per line)`;

class UsageError extends Error {}

function intOf(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n)) {
    throw new UsageError(`${flag}: '${text}' is not a whole number`);
  }
  return n;
}

function secondsOf(text: string | undefined, flag: string) {
  if (text === undefined) return undefined;
  try {
    return parseDuration(text, flag) / 1000;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

export function parseDeviceArgs(argv: string[]) {
  let v;
  try {
    v = parseArgs({
      args: argv,
      strict: true,
      options: {
        device: { type: "string" },
        preset: { type: "string" },
        size: { type: "string" },
        rate: { type: "string" },
        duration: { type: "string" },
        delay: { type: "string" },
        warmup: { type: "string" },
        token: { type: "string" },
        output: { type: "string" },
      },
    }).values;
  } catch (e) {
    throw new UsageError((e as Error).message.split(/\n|\. /)[0]);
  }
  let url: URL;
  try {
    url = new URL(v.device ?? "");
    if (!/^https?:$/.test(url.protocol)) throw new Error();
  } catch {
    throw new UsageError(
      `--device: '${v.device}' is not an http(s) URL of the server`,
    );
  }
  if (v.preset !== undefined && !DEVICE_PRESET_IDS.includes(v.preset)) {
    throw new UsageError(
      `--preset: '${v.preset}' is not one of ${DEVICE_PRESET_IDS.join(", ")}`,
    );
  }
  const output = v.output ?? "text";
  if (output !== "text" && output !== "json") {
    throw new UsageError(`--output: '${output}' is not one of text, json`);
  }
  const delay = secondsOf(v.delay, "--delay");
  const request = Object.fromEntries(
    Object.entries({
      preset: v.preset,
      size: intOf(v.size, "--size"),
      rate: intOf(v.rate, "--rate"),
      duration_s: secondsOf(v.duration, "--duration"),
      delay_ms: delay === undefined ? undefined : delay * 1000,
      warmup_s: secondsOf(v.warmup, "--warmup"),
    }).filter(([, x]) => x !== undefined),
  );
  return {
    server: url.origin,
    request,
    token: v.token ?? Deno.env.get("PLA_TOKEN"),
    output: output as "text" | "json",
  };
}

const f = (v: number | null) => v === null ? "-" : v.toFixed(3);

export function deviceTable(r: DeviceResult): string {
  const s = r.summary;
  const head = `DEVICE TEST ${r.id}: ${r.status}${
    r.error ? ` (${r.error})` : ""
  }; ${r.settings.size} B at ${r.settings.rate}/s for ${r.settings.duration_s} s, acceptable delay ${r.settings.delay_ms} ms`;
  if (!s) return head + "\nno summary";
  const { upload: u, download: d, round_trip: t } = s;
  return [
    head,
    `upload    sent ${u.sent}  received by the server ${u.received}  lost ${u.lost} (${u.loss_pct}%)  jitter ${
      f(u.jitter_ms)
    } ms`,
    `download  echoed ${d.echoed}  received ${d.received}  lost ${d.lost} (${d.loss_pct}%)  jitter ${
      f(d.jitter_ms)
    } ms`,
    `round trip  ok ${t.received}  late ${t.late}  lost ${t.lost} (${t.loss_pct}%)  RTT min/avg/p95/max ${
      f(t.min_rtt_ms)
    }/${f(t.avg_rtt_ms)}/${f(t.p95_rtt_ms)}/${f(t.max_rtt_ms)} ms  MOS ${
      t.mos ?? "-"
    }`,
    `verdicts  ${
      s.verdicts.map((v) =>
        `${v.preset}: ${v.pass ? "pass" : `FAIL (${v.reasons.join(", ")})`}`
      ).join("; ")
    }`,
    ...(s.dropped_messages ? [`dropped messages ${s.dropped_messages}`] : []),
  ].join("\n");
}

function jsonLines(r: DeviceResult): string[] {
  const s: DeviceSummary | null = r.summary;
  const base = { type: "device", id: r.id, status: r.status };
  return [
    JSON.stringify({
      ...base,
      ...(r.error ? { error: r.error } : {}),
      settings: r.settings,
      ...(s ?? {}),
    }),
  ];
}

/** Runs a device test from argv; returns the exit status (0 completed, 1 not, 2 usage, 3 refused). */
export async function deviceMain(argv: string[]): Promise<number> {
  let opts;
  try {
    opts = parseDeviceArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`probe: ${e.message} (see --help)`);
    return 2;
  }
  const text = opts.output === "text";
  try {
    const r = await runDeviceClient({
      server: opts.server,
      request: opts.request,
      token: opts.token,
      onProgress: text && Deno.stderr.isTerminal()
        ? (p) => console.error(`sent ${p.sent}/${p.total}, echoes ${p.echoes}`)
        : undefined,
    });
    console.log(text ? deviceTable(r) : jsonLines(r).join("\n"));
    return r.status === "completed" ? 0 : 1;
  } catch (e) {
    // A refusal, an unreachable server, or the WebRTC library failing: one line.
    console.error(
      `probe: ${e instanceof DeviceClientError ? "" : "device test failed: "}${
        (e as Error).message
      }`,
    );
    return 3;
  }
}
