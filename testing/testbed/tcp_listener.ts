// A TCP server for the tcp probe test beds, run inside a namespace with
// `ip netns exec NS deno run --allow-net [--allow-read=DIR] tcp_listener.ts
// HOST PORT... [tls:PORT:CERT:KEY]`: listens on every PORT (and serves TLS
// with the PEM files on each tls: one), accepts, completes TLS handshakes,
// closes at once; prints "ready" and exits when its stdin closes (the test
// ended) or after 120 s at most.
const [host, ...specs] = Deno.args;
const listeners: Deno.Listener[] = specs.map((spec) => {
  if (!spec.startsWith("tls:")) {
    return Deno.listen({ hostname: host, port: Number(spec) });
  }
  const [, port, cert, key] = spec.split(":");
  return Deno.listenTls({
    hostname: host,
    port: Number(port),
    cert: Deno.readTextFileSync(cert),
    key: Deno.readTextFileSync(key),
  });
});
for (const l of listeners) {
  (async () => {
    try {
      for await (const c of l) {
        const tls = c as Partial<Deno.TlsConn>;
        if (typeof tls.handshake === "function") {
          tls.handshake().catch(() => {}).finally(() => {
            try {
              c.close();
            } catch { /* closed by the peer */ }
          });
        } else c.close();
      }
    } catch { /* closed */ }
  })();
}
console.log("ready");
const stop = setTimeout(() => Deno.exit(0), 120_000);
for await (const _ of Deno.stdin.readable) { /* until EOF */ }
clearTimeout(stop);
Deno.exit(0);
