// A loopback TCP proxy in front of the server, so a test can drop the
// browser's live connections (a real network failure, not a stub).

export interface TcpProxy {
  port: number;
  /** Connections currently open. */
  readonly open: number;
  /** Closes every open connection; new ones are refused for `refuseMs`. */
  dropAll(refuseMs?: number): void;
  close(): void;
}

/** `hostname`: where it listens (default loopback; a test bed's address to serve a namespace). */
export function startTcpProxy(
  targetPort: number,
  { hostname = "127.0.0.1" }: { hostname?: string } = {},
): TcpProxy {
  const listener = Deno.listen({ hostname, port: 0 });
  const conns = new Set<Deno.Conn>();
  let refuseUntil = 0;
  const closeQuietly = (c: Deno.Conn) => {
    conns.delete(c);
    try {
      c.close();
    } catch { /* already closed */ }
  };
  const pipe = async (from: Deno.Conn, to: Deno.Conn) => {
    try {
      await from.readable.pipeTo(to.writable, { preventClose: true });
    } catch { /* dropped */ }
    closeQuietly(from);
    closeQuietly(to);
  };
  (async () => {
    for await (const client of listener) {
      if (Date.now() < refuseUntil) {
        client.close();
        continue;
      }
      try {
        const upstream = await Deno.connect({
          hostname: "127.0.0.1",
          port: targetPort,
        });
        conns.add(client);
        conns.add(upstream);
        pipe(client, upstream);
        pipe(upstream, client);
      } catch {
        client.close();
      }
    }
  })().catch(() => {/* listener closed */});
  return {
    port: (listener.addr as Deno.NetAddr).port,
    get open() {
      return conns.size / 2;
    },
    dropAll(refuseMs = 0) {
      refuseUntil = Date.now() + refuseMs;
      for (const c of [...conns]) closeQuietly(c);
    },
    close() {
      this.dropAll();
      listener.close();
    },
  };
}
