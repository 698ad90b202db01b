// The engine alone in its own process, for the throughput benchmark: probes
// the targets listed in a file and prints one JSON line of what it saw and
// what the run cost (CPU of the run itself, from process.cpuUsage()).
// Usage: throughput_probe.ts FILE COUNT INTERVAL_MS TIMEOUT_MS
import process from "node:process";
import { Engine } from "../probe/engine.ts";

const [file, countText, intervalText, timeoutText] = Deno.args;
const hosts = (await Deno.readTextFile(file)).split("\n").filter((l) => l);
const count = Number(countText);
const interval_ms = Number(intervalText);
const engine = Engine.create();
const cpu0 = process.cpuUsage();
const t0 = performance.now();
let firstSend = Infinity;
let lastSend = 0;
const run = await engine.run(
  hosts.map((h) => ({ target: h, host: h })),
  { count, interval_ms, timeout_ms: Number(timeoutText), size: 56 },
  {
    onProbe: (r) => {
      if (r.index === 0) firstSend = Math.min(firstSend, r.sent_at);
      if (r.index === count - 1) lastSend = Math.max(lastSend, r.sent_at);
    },
  },
);
await run.done;
const wallMs = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
let sent = 0, received = 0, lost = 0;
run.targets.forEach((_, i) => {
  const s = run.stats(i);
  sent += s.sent;
  received += s.received;
  lost += s.lost;
});
await engine.close();
console.log(JSON.stringify({
  sent,
  received,
  lost,
  wallMs,
  cpuRunS: (cpu.user + cpu.system) / 1e6,
  // Time from the first probe to the last probe's send: the cadence held?
  sendSpanMs: lastSend - firstSend,
}));
