// tcp-connect and tls probes through real sockets on loopback: a listening
// port, a closed one (the kernel's RST), and TLS servers with a valid, an
// expired, a wrongly named and a self-signed certificate made by openssl.
import assert from "node:assert/strict";
import { Engine } from "../engine.ts";
import { computeStats } from "../statistics.ts";
import type { ProbeRecord, ProbeSettings } from "../../model/probe.ts";
import { gate } from "../../testing/gate.ts";
import { runCommand } from "../../testing/run_command.ts";
import { taskPermissions } from "../../testing/deno_flags.ts";
import {
  makeTestCerts,
  opensslMissing,
  serveTls,
  type TestCerts,
} from "../../testing/tls_certs.ts";

function settings(
  kind: "tcp-connect" | "tls",
  port: number,
  count = 5,
): ProbeSettings {
  return {
    interval_ms: 20,
    timeout_ms: 2000,
    size: 56,
    count,
    probe: { kind, port },
  };
}

/** A port nothing listens on (bound, then closed again). */
function closedPort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

async function probe(
  engine: Engine,
  host: string,
  s: ProbeSettings,
): Promise<{ records: ProbeRecord[]; stats: ReturnType<typeof computeStats> }> {
  const records: ProbeRecord[] = [];
  const run = await engine.run([{ target: host, host }], s, {
    onProbe: (r) => records.push(r),
    lingerMs: 0,
  });
  await run.done;
  const stats = run.stats(0);
  // The same statistics as ICMP: the accumulator equals the reference.
  assert.deepEqual(stats, computeStats([...run.outcomes(0)]));
  return { records, stats };
}

Deno.test("tcp-connect: a listening port answers, a closed port RSTs; kind and port on every record", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  let accepted = 0;
  (async () => {
    try {
      for await (const c of listener) {
        accepted++;
        c.close();
      }
    } catch { /* closed */ }
  })();
  const engine = Engine.create();
  try {
    const open = await probe(
      engine,
      "127.0.0.1",
      settings("tcp-connect", port),
    );
    assert.equal(open.stats.sent, 5);
    assert.equal(open.stats.received, 5);
    assert.equal(open.stats.loss_pct, 0);
    for (const r of open.records) {
      assert.equal(r.kind, "tcp-connect");
      assert.equal(r.port, port);
      assert.equal(r.tcp, "syn-ack");
      assert.equal(r.status, "ok");
      assert.equal(r.ts_source, "user");
      assert.ok(r.rtt_ms !== null && r.rtt_ms > 0 && r.rtt_ms < 2000);
    }
    const closed = closedPort();
    const refused = await probe(
      engine,
      "127.0.0.1",
      settings("tcp-connect", closed, 3),
    );
    assert.equal(refused.stats.received, 3, "a RST is an answer");
    assert.ok(
      refused.records.every((r) => r.tcp === "rst" && r.port === closed),
    );
  } finally {
    await engine.close();
    listener.close();
  }
  assert.ok(accepted >= 1, "the server saw the connections");
});

const noOpenssl = await opensslMissing();
Deno.test({
  name:
    "tls: phases, protocol, cipher and certificate; expired, untrusted and mismatched certificates are per-probe errors",
  ignore: gate("tls probe tests", noOpenssl),
  async fn() {
    const certs: TestCerts = await makeTestCerts();
    const servers = {
      valid: serveTls(certs.valid),
      expired: serveTls(certs.expired),
      other: serveTls(certs.otherName),
      self: serveTls(certs.selfSigned),
    };
    const engine = Engine.create();
    try {
      // Not yet trusted: the test CA is unknown.
      const untrusted = await probe(
        engine,
        "localhost",
        settings("tls", servers.valid.port, 1),
      );
      assert.equal(untrusted.records[0].status, "error");
      assert.equal(
        untrusted.records[0].error,
        "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
      );
      await engine.kinds.trustCa(certs.caPem);
      const ok = await probe(
        engine,
        "localhost",
        settings("tls", servers.valid.port, 3),
      );
      assert.equal(ok.stats.received, 3);
      for (const r of ok.records) {
        assert.equal(r.status, "ok");
        assert.equal(r.kind, "tls");
        const t = r.tls!;
        assert.equal(t.authorized, true);
        assert.match(t.protocol!, /^TLSv1\.[23]$/);
        assert.ok(t.cipher && t.cipher.length > 0);
        assert.equal(t.subject, "CN=localhost");
        assert.equal(t.issuer, "CN=PLA Test CA");
        assert.ok(t.days_left === 29 || t.days_left === 30, `${t.days_left}`);
        assert.ok(t.handshake_ms !== null && t.handshake_ms > 0);
        // The probe's RTT is the two phases together.
        assert.ok(
          Math.abs(r.rtt_ms! - (t.connect_ms + t.handshake_ms!)) < 0.002,
        );
      }
      const cases: [string, number, string][] = [
        ["localhost", servers.expired.port, "CERT_HAS_EXPIRED"],
        ["localhost", servers.other.port, "ERR_TLS_CERT_ALTNAME_INVALID"],
        ["localhost", servers.self.port, "DEPTH_ZERO_SELF_SIGNED_CERT"],
      ];
      for (const [host, port, why] of cases) {
        const bad = await probe(engine, host, settings("tls", port, 2));
        assert.equal(bad.stats.errors, 2, why);
        assert.equal(bad.stats.received, 0, why);
        for (const r of bad.records) {
          assert.equal(r.status, "error");
          assert.equal(r.error, why);
          assert.equal(r.tls?.cert_error, why);
          assert.equal(r.tls?.authorized, false);
          assert.ok(r.tls?.subject, "what the server presented is reported");
        }
        if (why === "CERT_HAS_EXPIRED") {
          assert.ok(bad.records[0].tls!.days_left! < 0);
        }
      }
      // A self-signed certificate given as trusted is pinned: it passes.
      await engine.kinds.trustCa(certs.selfSigned.cert);
      const pinned = await probe(
        engine,
        "localhost",
        settings("tls", servers.self.port, 2),
      );
      assert.equal(pinned.stats.received, 2);
      await assert.rejects(() => engine.kinds.trustCa("not a PEM"), /no PEM/);
    } finally {
      await engine.close();
      for (const s of Object.values(servers)) s.close();
      await Deno.remove(certs.dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "CLI --tls with --ca-file under the probe task's permissions: JSON records with kind, port and handshake",
  ignore: noOpenssl !== null,
  async fn() {
    const certs = await makeTestCerts();
    const server = serveTls(certs.valid);
    try {
      const cli = new URL("../cli.ts", import.meta.url).pathname;
      const r = await runCommand(Deno.execPath(), [
        "run",
        ...taskPermissions("probe", { read: [certs.dir] }),
        cli,
        "--host",
        "localhost",
        "--tls",
        String(server.port),
        "--ca-file",
        certs.caFile,
        "--count",
        "2",
        "--interval",
        "50ms",
        "--output",
        "json",
        "--per-probe",
      ]);
      assert.equal(r.code, 0, r.stderr);
      const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
      const probes = lines.filter((l) => l.type === "probe");
      assert.equal(probes.length, 2);
      for (const p of probes) {
        assert.equal(p.status, "ok", JSON.stringify(p));
        assert.equal(p.kind, "tls");
        assert.equal(p.port, server.port);
        assert.equal(p.tls.authorized, true);
        assert.ok(p.tls.handshake_ms > 0);
      }
      const summary = lines.find((l) => l.type === "summary");
      assert.equal(summary.kind, "tls");
      assert.equal(summary.port, server.port);
      assert.equal(summary.received, 2);
      const bad = await runCommand(Deno.execPath(), [
        "run",
        ...taskPermissions("probe"),
        cli,
        "--host",
        "localhost",
        "--tls",
        "0",
      ]);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /--tls: port must be from 1 to 65535/);
    } finally {
      server.close();
      await Deno.remove(certs.dir, { recursive: true });
    }
  },
});
