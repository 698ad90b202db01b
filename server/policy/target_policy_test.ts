// What may be probed. Every request here is refused before any packet is sent,
// or probes loopback only; forbidden-address requests also carry a too-small
// interval, so if the policy check went missing they would still be refused
// (for the wrong reason, failing the test) instead of sending anything.
import assert from "node:assert/strict";
import { parseAddress } from "../../probe/ip_address.ts";
import {
  assertProblem,
  postJson,
  withApiKit,
} from "../../testing/api_testkit.ts";
import { broadcastOf, cidrContains, parseCidr } from "./cidr.ts";
import { ConfigError, parseConfig } from "../config/config.ts";
import { forbiddenReason, TargetPolicy } from "./target_policy.ts";
import { InvalidRequestError } from "../errors.ts";

const addr = (s: string) => parseAddress(s)!;

const policyYaml = (cidrs: string[], hosts: string[] = []) => `
servers:
  - { id: localhost-v4, name: L4, host: 127.0.0.1 }
auth: { mode: open }
targets:
  allow_arbitrary: true
  allow_cidrs: [${cidrs.map((c) => `"${c}"`).join(", ")}]
  allow_hosts: [${hosts.map((c) => `"${c}"`).join(", ")}]
`;

Deno.test("CIDR parsing, containment, broadcast", () => {
  assert.equal(parseCidr("10.1.2.3/8")?.text, "10.0.0.0/8");
  assert.equal(parseCidr("fd00::1/8")?.text, "fd00::/8");
  assert.equal(parseCidr("192.0.2.1")?.prefix, 32);
  for (
    const bad of [
      "10.0.0.0/33",
      "10.0.0.0/-1",
      "x/8",
      "10/8",
      "::/129",
      "1.2.3.4/8/1",
      "1.2.3.4/08",
    ]
  ) {
    assert.equal(parseCidr(bad), null, bad);
  }
  const net = parseCidr("10.0.0.0/8")!;
  assert.ok(cidrContains(net, addr("10.200.1.1")));
  assert.ok(
    cidrContains(net, addr("::ffff:10.0.0.1")),
    "v4-mapped counts as v4",
  );
  assert.ok(!cidrContains(net, addr("11.0.0.1")));
  assert.ok(!cidrContains(net, addr("::1")));
  assert.equal(broadcastOf(parseCidr("192.168.1.0/24")!), "192.168.1.255");
  assert.equal(broadcastOf(parseCidr("10.0.0.0/23")!), "10.0.1.255");
  assert.equal(broadcastOf(parseCidr("10.0.0.4/31")!), null);
});

Deno.test("never broadcast, multicast, unspecified or reserved", () => {
  for (
    const [a, why] of [
      ["0.0.0.0", /unspecified/],
      ["0.1.2.3", /unspecified/],
      ["::", /unspecified/],
      ["255.255.255.255", /broadcast/],
      ["224.0.0.1", /multicast/],
      ["239.255.255.250", /multicast/],
      ["ff02::1", /multicast/],
      ["::ffff:224.0.0.1", /multicast/],
      ["240.0.0.1", /reserved/],
    ] as const
  ) assert.match(forbiddenReason(addr(a)) ?? "allowed", why, a);
  assert.match(
    forbiddenReason(addr("192.168.7.255"), new Set(["192.168.7.255"]))!,
    /broadcast/,
  );
  for (const a of ["127.0.0.1", "::1", "10.1.2.255", "192.0.2.1"]) {
    assert.equal(forbiddenReason(addr(a)), null, a);
  }
});

Deno.test("the config refuses forbidden server addresses and bad policies", () => {
  const bad = (yaml: string, re: RegExp) => {
    try {
      parseConfig(yaml, "p.yaml");
      assert.fail("should throw");
    } catch (e) {
      assert.ok(e instanceof ConfigError);
      assert.match(e.message, re);
    }
  };
  bad(
    "servers: [{id: m, name: M, host: 224.0.0.1}]\nauth: {mode: open}\n",
    /p\.yaml: servers\.0\.host: "224\.0\.0\.1" is a multicast address/,
  );
  bad(
    "servers: [{id: m, name: M, host: 'a b'}]\nauth: {mode: open}\n",
    /servers\.0\.host: "a b" is neither an IP address nor a host name/,
  );
  bad(
    "servers: [{id: a, name: A, host: ::1}]\nauth: {mode: open}\ntargets: {allow_arbitrary: true}\n",
    /targets\.allow_cidrs: allow_arbitrary needs at least one network/,
  );
  bad(
    "servers: [{id: a, name: A, host: ::1}]\nauth: {mode: open}\ntargets: {allow_cidrs: [10.0.0.0/40], allow_hosts: ['*']}\n",
    /targets\.allow_cidrs\.0: not a network.*\n.*targets\.allow_hosts\.0: not a host name pattern/,
  );
});

Deno.test("by default only configured servers may be probed", async () => {
  await withApiKit(async ({ app, runner }) => {
    for (const t of ["127.0.0.1", "localhost", "10.0.0.1"]) {
      const res = await postJson(app, "/api/tests", { targets: [t], count: 1 });
      await assertProblem(res, 422, "targets.0");
    }
    assert.deepEqual(await runner.list(), []);
  });
});

Deno.test("arbitrary hosts: inside the allowlist only, checked on the resolved address", async () => {
  // localhost resolves to 127.0.0.1 (IPv4 is preferred): outside ::1/128.
  await withApiKit(async ({ app, runner }) => {
    const res = await postJson(app, "/api/tests", {
      targets: ["localhost"],
      count: 1,
    });
    assert.equal(res.status, 422);
    const body = await res.json();
    assert.equal(body.field, "targets.0");
    assert.match(
      body.detail,
      /"localhost" \(127\.0\.0\.1\) is outside the allowed networks \(targets\.allow_cidrs\)/,
    );
    const notListed = await postJson(app, "/api/tests", {
      targets: ["db.example"],
      count: 1,
    });
    assert.match(
      (await notListed.json()).detail,
      /not in the allowed host names/,
    );
    const literal = await postJson(app, "/api/tests", {
      targets: ["127.0.0.1"],
      count: 1,
    });
    assert.match((await literal.json()).detail, /outside the allowed networks/);
    assert.deepEqual(await runner.list(), []);
  }, { configYaml: policyYaml(["::1/128"], ["localhost"]) });

  await withApiKit(async ({ app, runner }) => {
    const res = await postJson(app, "/api/tests", {
      targets: ["localhost", "::1", "127.0.0.2"],
      count: 2,
      interval_ms: 10,
      timeout_ms: 300,
    });
    assert.equal(res.status, 201, await res.clone().text());
    const meta = await res.json();
    assert.deepEqual(
      meta.targets.map((
        t: { id: string; address: string },
      ) => [t.id, t.address]),
      [["localhost", "127.0.0.1"], ["::1", "::1"], ["127.0.0.2", "127.0.0.2"]],
    );
    await runner.finished(meta.id);
    const done = await (await app.request(`/api/tests/${meta.id}`)).json();
    assert.equal(done.status, "completed");
    assert.deepEqual(
      done.summary.map((s: { received: number }) => s.received),
      [2, 2, 2],
    );
    // The broadcast address of an allowed IPv4 network is refused.
    const bc = await postJson(app, "/api/tests", {
      targets: ["127.255.255.255"],
      count: 1,
      interval_ms: 1,
    });
    await assertProblem(bc, 422, "targets.0");
  }, { configYaml: policyYaml(["127.0.0.0/8", "::1/128"], ["localhost"]) });
});

Deno.test("multicast, broadcast and unspecified literals are refused even when allowlisted", async () => {
  await withApiKit(async ({ app, runner }) => {
    for (
      const t of ["224.0.0.1", "255.255.255.255", "0.0.0.0", "::", "ff02::1"]
    ) {
      // interval_ms 1 is below the limit: without the policy this would be
      // a 422 on interval_ms instead, never a probe.
      const res = await postJson(app, "/api/tests", {
        targets: [t],
        count: 1,
        interval_ms: 1,
      });
      await assertProblem(res, 422, "targets.0");
    }
    assert.deepEqual(await runner.list(), []);
  }, { configYaml: policyYaml(["0.0.0.0/0", "::/0"]) });
});

Deno.test("the last address of an allowed IPv4 network is its broadcast address", () => {
  const policy = new TargetPolicy(
    {
      allow_arbitrary: true,
      allow_cidrs: ["10.9.8.0/24", "10.7.0.0/31"],
      allow_hosts: [],
    },
    [],
    [], // no local networks: only the allowlist's own broadcast addresses
  );
  assert.throws(
    () => policy.classify("10.9.8.255", 0),
    (e) =>
      e instanceof InvalidRequestError && e.field === "targets.0" &&
      /"10\.9\.8\.255" is a network's broadcast address; never probed/.test(
        e.message,
      ),
  );
  assert.equal(policy.classify("10.9.8.254", 0).host, "10.9.8.254");
  assert.equal(policy.classify("10.7.0.1", 1).host, "10.7.0.1", "/31 has none");
  assert.throws(() => policy.classify("10.9.9.1", 0), /outside the allowed/);
});
