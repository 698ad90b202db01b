// Probe kinds through the API (app.request, the real engine, loopback only):
// a server's configured probe is the test's default, the request may choose
// one, targets.allow_ports is enforced, bad specs are 422s naming the field,
// and the records, export and metrics carry kind and port.
import assert from "node:assert/strict";
import {
  assertProblem,
  postJson,
  withApiKit,
} from "../../testing/api_testkit.ts";
import { parseConfig } from "../config/config.ts";
import { gate } from "../../testing/gate.ts";
import {
  makeTestCerts,
  opensslMissing,
  serveTls,
} from "../../testing/tls_certs.ts";

function listen(): { port: number; close(): void } {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  (async () => {
    try {
      for await (const c of l) c.close();
    } catch { /* closed */ }
  })();
  return { port: (l.addr as Deno.NetAddr).port, close: () => l.close() };
}

const yaml = (port: number) => `
auth: { mode: open }
servers:
  - { id: web, name: Web, host: 127.0.0.1, probe: { kind: tcp-connect, port: ${port} } }
  - { id: lo, name: Loopback, host: 127.0.0.1 }
targets: { allow_ports: [${port}, 443] }
`;

Deno.test("a server's configured probe is the test's; records, export and metrics carry kind and port", async () => {
  const server = listen();
  try {
    await withApiKit(async ({ app, runner }) => {
      const res = await postJson(app, "/api/tests", {
        targets: ["web"],
        count: 4,
        interval_ms: 20,
        timeout_ms: 1000,
      });
      assert.equal(res.status, 201, await res.clone().text());
      const { id } = await res.json();
      await runner.finished(id);
      const meta = await (await app.request(`/api/tests/${id}`)).json();
      assert.deepEqual(meta.settings.probe, {
        kind: "tcp-connect",
        port: server.port,
      });
      const exp = await (await app.request(
        `/api/tests/${id}/export?format=json`,
      )).json();
      assert.equal(exp.probes.length, 4);
      for (const p of exp.probes) {
        assert.equal(p.kind, "tcp-connect");
        assert.equal(p.port, server.port);
        assert.equal(p.tcp, "syn-ack");
        assert.equal(p.status, "ok");
      }
      assert.equal(exp.summary[0].received, 4);
      const metrics = await (await app.request("/metrics")).text();
      assert.match(
        metrics,
        new RegExp(
          `pla_target_loss_ratio\\{target="web",address="127.0.0.1",kind="tcp-connect",port="${server.port}"\\} 0`,
        ),
      );
    }, { configYaml: yaml(server.port) });
  } finally {
    server.close();
  }
});

Deno.test("POST /api/tests: a bad probe spec or a port outside allow_ports is a 422 naming the field; nothing started", async () => {
  await withApiKit(async ({ app, runner }) => {
    const base = { targets: ["lo"], count: 1, interval_ms: 10 };
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [
        { probe: { kind: "udp", port: 1 } },
        "probe.kind",
        /kind must be one of/,
      ],
      [{ probe: { kind: "tls" } }, "probe.port", /port is required/],
      [
        { probe: { kind: "tcp-syn", port: 0 } },
        "probe.port",
        /from 1 to 65535/,
      ],
      [
        { probe: { kind: "tcp-syn", port: 70000 } },
        "probe.port",
        /from 1 to 65535/,
      ],
      [{ probe: { kind: "tcp-syn", port: "443" } }, "probe.port", /whole/],
      [{ probe: { kind: "icmp", port: 443 } }, "probe.port", /does not go/],
      [
        { probe: { kind: "tcp-connect", port: 8080 } },
        "probe.port",
        /port 8080 is not allowed \(targets.allow_ports: 1234, 443\)/,
      ],
      [
        { probe: { kind: "tls", port: 443 }, mode: "path" },
        "probe",
        /path.*icmp only/,
      ],
      [{ targets: ["web", "lo"] }, "probe", /different probe kinds/],
    ];
    for (const [change, field, detail] of cases) {
      const res = await postJson(app, "/api/tests", { ...base, ...change });
      const body = await res.clone().json();
      await assertProblem(res, 422, field);
      assert.match(body.detail, detail, JSON.stringify(change));
    }
    assert.deepEqual(await runner.list(), []);
    // A path test of a server with its own tcp probe probes with ICMP.
    const path = await postJson(app, "/api/tests", {
      targets: ["web"],
      mode: "path",
      max_hops: 2,
      count: 1,
      interval_ms: 10,
      timeout_ms: 200,
    });
    assert.equal(path.status, 201, await path.clone().text());
    const { id } = await path.json();
    await runner.finished(id);
    const meta = await (await app.request(`/api/tests/${id}`)).json();
    assert.equal(meta.settings.probe, undefined);
    assert.equal(meta.settings.mode, "path");
  }, { configYaml: yaml(1234) });
});

Deno.test("config: ports outside targets.allow_ports and path monitors with tcp are refused; cert alert rules parse", () => {
  assert.throws(
    () =>
      parseConfig(
        `servers: [{ id: a, name: A, host: 127.0.0.1, probe: { kind: tls, port: 8443 } }]
targets: { allow_ports: [443] }`,
      ),
    /servers\.0\.probe\.port: port 8443 is not in targets.allow_ports/,
  );
  assert.throws(
    () =>
      parseConfig(
        `servers: [{ id: a, name: A, host: 127.0.0.1 }]
monitors: [{ id: m, server: a, mode: path, probe: { kind: tcp-syn, port: 22 } }]`,
      ),
    /monitors\.0\.probe: path monitors probe with icmp only/,
  );
  const c = parseConfig(
    `servers: [{ id: a, name: A, host: 127.0.0.1, probe: { kind: tls, port: 443 } }]
auth: { mode: open }
tls: { ca_file: ./ca.pem }
monitors:
  - id: cert
    server: a
    alerts: [{ name: expiry, cert_days_left_below: 14 }]`,
  );
  assert.equal(c.monitors[0].alerts[0].cert_days_left_below, 14);
  assert.equal(c.tls?.ca_file, "./ca.pem");
});

Deno.test({
  name:
    "a tls test of a server configured by name: the name reaches the handshake (SNI, certificate check) though the engine probes the resolved address",
  ignore: gate("tls API test", await opensslMissing()),
  async fn() {
    const certs = await makeTestCerts();
    // The certificate names localhost only, no address.
    const server = serveTls(certs.valid);
    try {
      await withApiKit(async ({ app, runner }) => {
        const res = await postJson(app, "/api/tests", {
          targets: ["portal"],
          count: 2,
          interval_ms: 20,
          timeout_ms: 2000,
        });
        assert.equal(res.status, 201, await res.clone().text());
        const { id } = await res.json();
        await runner.finished(id);
        const exp = await (await app.request(
          `/api/tests/${id}/export?format=json`,
        )).json();
        assert.equal(exp.probes.length, 2);
        for (const p of exp.probes) {
          assert.equal(p.address, "127.0.0.1");
          assert.equal(p.status, "ok", JSON.stringify(p));
          assert.equal(p.kind, "tls");
          assert.equal(p.cert_subject, "CN=localhost");
          assert.ok(p.tls_handshake_ms > 0);
        }
      }, {
        configYaml: `auth: { mode: open }
servers:
  - { id: portal, name: Portal, host: localhost, probe: { kind: tls, port: ${server.port} } }
`,
        engineSetup: (engine) => engine.kinds.trustCa(certs.caPem),
      });
    } finally {
      server.close();
      await Deno.remove(certs.dir, { recursive: true });
    }
  },
});
