// tcp-syn through the shim's raw socket to a namespaced host (198.18.0.0/15):
// a listening port (SYN-ACK), a closed port (RST), a filtered port and a port
// with random SYN drops, where loss must equal the nftables counter exactly.
// And without CAP_NET_RAW the CLI says so, suggests tcp-connect, exits 3.
import assert from "node:assert/strict";
import { Engine } from "../engine.ts";
import { computeStats } from "../statistics.ts";
import type { ProbeRecord, ProbeSettings } from "../../model/probe.ts";
import { gate } from "../../testing/gate.ts";
import { runCommand } from "../../testing/run_command.ts";
import { taskPermissions } from "../../testing/deno_flags.ts";
import {
  CLOSED_PORT,
  createTcpBed,
  FILTERED_PORT,
  LISTEN_PORT,
  tcpBedUnavailableReason,
  TLS_PORT,
} from "../../testing/testbed/tcp_bed.ts";
import {
  issueForAddress,
  makeTestCerts,
  opensslMissing,
} from "../../testing/tls_certs.ts";

const noBed = gate("tcp-syn test-bed tests", await tcpBedUnavailableReason());

function syn(port: number, count: number): ProbeSettings {
  return {
    interval_ms: 5,
    timeout_ms: 500,
    size: 56,
    count,
    probe: { kind: "tcp-syn", port },
  };
}

async function probe(engine: Engine, host: string, s: ProbeSettings) {
  const records: ProbeRecord[] = [];
  const run = await engine.run([{ target: "bed", host }], s, {
    onProbe: (r) => records.push(r),
  });
  await run.done;
  const stats = run.stats(0);
  assert.deepEqual(stats, computeStats([...run.outcomes(0)]));
  return { records, stats };
}

Deno.test({
  name:
    "tcp-syn: SYN-ACK from a listening port, RST from a closed one, loss equal to the nftables drop counters",
  ignore: noBed,
  async fn() {
    await using tb = await createTcpBed();
    const engine = Engine.create();
    try {
      const open = await probe(engine, tb.target, syn(LISTEN_PORT, 20));
      assert.equal(open.stats.received, 20);
      for (const r of open.records) {
        assert.equal(r.status, "ok");
        assert.equal(r.kind, "tcp-syn");
        assert.equal(r.port, LISTEN_PORT);
        assert.equal(r.tcp, "syn-ack");
        assert.equal(r.ts_source, "kernel");
        assert.ok(r.rtt_ms! > 0 && r.rtt_ms! < 500, `${r.rtt_ms}`);
      }
      // A veth hop answered by the kernel: well under a millisecond at the median.
      assert.ok(open.stats.median_rtt_ms! < 1, `${open.stats.median_rtt_ms}`);

      const closed = await probe(engine, tb.target, syn(CLOSED_PORT, 10));
      assert.equal(closed.stats.received, 10, "a RST is an answer");
      assert.ok(closed.records.every((r) => r.tcp === "rst"));

      const filtered = await probe(engine, tb.target, syn(FILTERED_PORT, 15));
      const c1 = await tb.counters();
      assert.equal(filtered.stats.received, 0);
      assert.equal(filtered.stats.lost, 15);
      assert.equal(c1.filtered, 15, "every SYN reached the drop rule");

      await tb.dropListening(0.3);
      const some = await probe(engine, tb.target, syn(LISTEN_PORT, 100));
      const c2 = await tb.counters();
      assert.ok(c2.listening > 0 && c2.listening < 100, `${c2.listening}`);
      assert.equal(some.stats.lost, c2.listening, "loss = nft drop counter");
      assert.equal(some.stats.received, 100 - c2.listening);
      assert.equal(some.stats.late, 0);
    } finally {
      await engine.close();
    }
  },
});

Deno.test({
  name: "tcp-syn without CAP_NET_RAW: says so, suggests tcp-connect, exit 3",
  ignore: noBed,
  async fn() {
    const cli = new URL("../cli.ts", import.meta.url).pathname;
    const r = await runCommand("setpriv", [
      "--bounding-set=-net_raw",
      "--inh-caps=-net_raw",
      Deno.execPath(),
      "run",
      ...taskPermissions("probe"),
      cli,
      "--host",
      "127.0.0.1",
      "--tcp",
      "9",
      "--count",
      "1",
    ]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /no permission to open a raw TCP socket/);
    assert.match(r.stderr, /CAP_NET_RAW/);
    assert.match(r.stderr, /--tcp-connect/);
  },
});

Deno.test({
  name:
    "tcp-syn over IPv6 loopback: SYN-ACK from a listening port, RST from a closed one",
  ignore: noBed,
  async fn() {
    const l = Deno.listen({ hostname: "::1", port: 0 });
    const port = (l.addr as Deno.NetAddr).port;
    (async () => {
      try {
        for await (const c of l) c.close();
      } catch { /* closed */ }
    })();
    const engine = Engine.create();
    try {
      const open = await probe(engine, "::1", syn(port, 5));
      assert.equal(open.stats.received, 5);
      assert.ok(open.records.every((r) => r.tcp === "syn-ack"));
      l.close();
      const closed = await probe(engine, "::1", syn(port, 3));
      assert.equal(closed.stats.received, 3);
      assert.ok(closed.records.every((r) => r.tcp === "rst"));
    } finally {
      await engine.close();
      try {
        l.close();
      } catch { /* closed above */ }
    }
  },
});

const noTlsBed = gate(
  "tls and tcp-connect test-bed tests",
  (await tcpBedUnavailableReason()) ?? (await opensslMissing()),
);

Deno.test({
  name:
    "tls and tcp-connect over the bed's link: a TLS server in the namespace; a filtered port is loss for tcp-connect too",
  ignore: noTlsBed,
  async fn() {
    const certs = await makeTestCerts();
    try {
      await using tb = await createTcpBed({
        tls: (address) => issueForAddress(certs, address),
      });
      const engine = Engine.create();
      await engine.kinds.trustCa(certs.caPem);
      try {
        const tls = await probe(engine, tb.target, {
          interval_ms: 20,
          timeout_ms: 2000,
          size: 56,
          count: 5,
          probe: { kind: "tls", port: TLS_PORT },
        });
        assert.equal(tls.stats.received, 5);
        for (const r of tls.records) {
          assert.equal(r.status, "ok", JSON.stringify(r));
          assert.equal(r.tls?.authorized, true);
          assert.equal(r.tls?.subject, `CN=${tb.target}`);
          assert.ok(r.tls!.connect_ms > 0 && r.tls!.handshake_ms! > 0);
        }
        const connect = await probe(engine, tb.target, {
          interval_ms: 5,
          timeout_ms: 300,
          size: 56,
          count: 10,
          probe: { kind: "tcp-connect", port: LISTEN_PORT },
        });
        assert.equal(connect.stats.received, 10);
        const before = (await tb.counters()).filtered;
        const filtered = await probe(engine, tb.target, {
          interval_ms: 5,
          timeout_ms: 300,
          size: 56,
          count: 8,
          probe: { kind: "tcp-connect", port: FILTERED_PORT },
        });
        assert.equal(filtered.stats.lost, 8);
        assert.equal(filtered.stats.received, 0);
        // connect() may retransmit a SYN before the probe gives up: at
        // least one SYN per probe reached the drop rule.
        assert.ok((await tb.counters()).filtered - before >= 8);
      } finally {
        await engine.close();
      }
    } finally {
      await Deno.remove(certs.dir, { recursive: true });
    }
  },
});
