// A TCP server for the tcp probe test beds, run inside a namespace with
// `ip netns exec NS deno run --allow-net tcp_listener.ts HOST PORT...`:
// listens on every PORT, accepts and closes at once, prints "ready", and
// exits when its stdin closes (the test ended) or after 120 s at most.
const [host, ...ports] = Deno.args;
const listeners = ports.map((p) =>
  Deno.listen({ hostname: host, port: Number(p) })
);
for (const l of listeners) {
  (async () => {
    try {
      for await (const c of l) c.close();
    } catch { /* closed */ }
  })();
}
console.log("ready");
const stop = setTimeout(() => Deno.exit(0), 120_000);
for await (const _ of Deno.stdin.readable) { /* until EOF */ }
clearTimeout(stop);
Deno.exit(0);
