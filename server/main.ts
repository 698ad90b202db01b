// Wires the engine into the app and serves it; nothing else lives here.
import { createApp } from "./app.ts";
import { Engine } from "../probe/engine.ts";
import type { Family } from "../probe/ip_address.ts";

const engine = Engine.create();
const modeOf = (family: Family) => {
  try {
    return engine.socketMode(family);
  } catch (e) {
    return { error: (e as Error).message };
  }
};
const app = createApp({
  icmpStatus: () => ({ ipv4: modeOf(4), ipv6: modeOf(6) }),
});
const status = app.request("/healthz");
console.log(
  JSON.stringify({ msg: "icmp", ...(await (await status).json()).icmp }),
);

const port = Number(Deno.env.get("PORT") ?? 8080);
Deno.serve({
  port,
  onListen: ({ hostname, port }) =>
    console.log(JSON.stringify({ msg: "listening", hostname, port })),
}, app.fetch);
