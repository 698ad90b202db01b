// A TLS monitor with the real engine against a loopback TLS server whose
// certificate expired (made by openssl): every step's point carries the days
// left, the cert_days_left_below rule fires on it and resolves on a valid
// certificate's points; the probes count as errors (the handshake worked but
// the certificate did not check out).
import assert from "node:assert/strict";
import { Engine } from "../../probe/engine.ts";
import { parseConfig } from "../config/config.ts";
import type { MonitorPoint } from "../../model/monitor.ts";
import { KvMonitorStore } from "./kv_monitor_store.ts";
import { MonitorHub } from "./monitor_hub.ts";
import { MonitorService } from "./monitor_service.ts";
import { evaluate, initialState } from "../alerts/alert_evaluator.ts";
import { monitorSpec } from "../../model/monitor.ts";
import { InvalidRequestError } from "../errors.ts";
import { alertText } from "../alerts/notifier.ts";
import { gate } from "../../testing/gate.ts";
import {
  makeTestCerts,
  opensslMissing,
  serveTls,
} from "../../testing/tls_certs.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test({
  name:
    "a TLS monitor's points carry the certificate's days left; a cert_days_left_below rule fires on an expired one",
  ignore: gate("TLS monitor test", await opensslMissing()),
  async fn() {
    const certs = await makeTestCerts();
    const expired = serveTls(certs.expired);
    const valid = serveTls(certs.valid);
    const config = parseConfig(`auth: { mode: open }
servers:
  - { id: old, name: Old, host: localhost, probe: { kind: tls, port: ${expired.port} } }
  - { id: new, name: New, host: localhost, probe: { kind: tls, port: ${valid.port} } }
monitors:
  - id: m-old
    server: old
    step_s: 1
    probes: 2
    timeout_ms: 500
    alerts: [{ name: expiry, cert_days_left_below: 14 }]
  - { id: m-new, server: new, step_s: 1, probes: 2, timeout_ms: 500 }
`);
    const engine = Engine.create();
    await engine.kinds.trustCa(certs.caPem);
    const kv = await Deno.openKv(":memory:");
    const seen = new Map<string, MonitorPoint[]>();
    const svc = new MonitorService({
      engine,
      config,
      store: new KvMonitorStore(kv),
      hub: new MonitorHub(),
      onPoint: (m, _server, _address, p) => {
        seen.set(m.id, [...seen.get(m.id) ?? [], p]);
      },
    });
    try {
      await svc.start();
      for (let i = 0; i < 100 && (seen.get("m-new")?.length ?? 0) < 1; i++) {
        await sleep(100);
      }
      for (let i = 0; i < 100 && (seen.get("m-old")?.length ?? 0) < 1; i++) {
        await sleep(100);
      }
      // The status names the kind and port (the server's own probe).
      const st = svc.list().find((m) => m.id === "m-old")!;
      assert.deepEqual(st.probe, { kind: "tls", port: expired.port });
    } finally {
      await svc.close();
      await engine.close();
      kv.close();
      expired.close();
      valid.close();
      await Deno.remove(certs.dir, { recursive: true });
    }
    const old = seen.get("m-old")![0];
    assert.ok(old.cert_days_left! < 0, `${old.cert_days_left}`);
    assert.equal(old.sent, 2);
    assert.equal(old.received, 0, "an expired certificate fails the probe");
    const fresh = seen.get("m-new")![0];
    assert.ok(fresh.cert_days_left! >= 29, `${fresh.cert_days_left}`);
    assert.equal(fresh.received, 2);

    const rule = config.monitors[0].alerts[0];
    const fired = evaluate(rule, 1, initialState(), old);
    assert.equal(fired.state.state, "firing");
    assert.equal(fired.transition?.metric, "cert_days_left");
    assert.equal(fired.transition?.value, old.cert_days_left);
    const resolved = evaluate(rule, 1, fired.state, {
      ...fresh,
      t: old.t + 1000,
    });
    assert.equal(resolved.state.state, "ok");
    // What a webhook says: a "below" rule reads as one.
    const text = alertText(
      {
        id: "e1",
        monitor: "m-old",
        server: "old",
        address: "127.0.0.1",
        alert: "expiry",
        state: "firing",
        metric: "cert_days_left",
        value: -2,
        threshold: 14,
        since: "2026-11-30T10:00:00.000Z",
        at: "2026-11-30T10:00:01.000Z",
      },
      "Old",
      "/monitors/m-old",
    );
    assert.match(text, /certificate days left -2 days < 14 days on Old/);
  },
});

Deno.test("a monitor created through the service with a port outside targets.allow_ports is refused, naming the port", async () => {
  const config = parseConfig(`auth: { mode: open }
servers: [{ id: lo, name: Lo, host: 127.0.0.1 }]
targets: { allow_ports: [443] }
`);
  const engine = Engine.create();
  const kv = await Deno.openKv(":memory:");
  const svc = new MonitorService({
    engine,
    config,
    store: new KvMonitorStore(kv),
    hub: new MonitorHub(),
  });
  try {
    await svc.start();
    await assert.rejects(
      () =>
        svc.create(monitorSpec.parse({
          id: "web",
          server: "lo",
          probe: { kind: "tcp-connect", port: 8080 },
        })),
      (e: unknown) =>
        e instanceof InvalidRequestError &&
        /probe\.port: port 8080 is not allowed/.test(e.message),
    );
    assert.deepEqual(svc.list().map((m) => m.id), []);
  } finally {
    await svc.close();
    await engine.close();
    kv.close();
  }
});
