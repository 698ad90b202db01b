// Faults of the probed target, with the real server: a target that stops
// answering (its responder killed and restarted), the interface going down
// and back up, name resolution failing mid-test, and SIGTERM while replies are
// outstanding. The test keeps running and records loss or errors; nothing
// crashes. Packets go only to loopback and the test bed's own 198.18.0.0/15
// target; a guard route keeps them on this machine while the link is down.
import assert from "node:assert/strict";
import {
  createTestbed,
  type Testbed,
  testbedUnavailableReason,
} from "../testing/testbed/testbed.ts";
import {
  allSamples,
  getJson,
  postTest,
  type Server,
  sleep,
  startServer,
  stopServer,
  waitForTestEnd,
} from "../testing/server_process.ts";
import {
  inMountNamespace,
  mountNamespaceUnavailable,
} from "../testing/mount_namespace.ts";
import { gate } from "../testing/gate.ts";
import { mustRun } from "../testing/run_command.ts";

const noBed = gate("target fault tests", await testbedUnavailableReason());
const noMountNs = gate("DNS fault test", await mountNamespaceUnavailable());

type Probe = { index: number; status: string; error?: string };

async function ip(args: string[]): Promise<void> {
  await mustRun("ip", args);
}

/** The server with one configured target, `bed` at the bed's address. */
async function bedServer(bed: Testbed, dir: string): Promise<Server> {
  return await startServer({
    dir,
    config:
      `servers:\n  - { id: bed, name: Bed, host: ${bed.targetAddress} }\n` +
      `limits: { min_interval_ms: 1 }\n`,
  });
}

/** Probes in index order, one (final) record each. */
async function finalProbes(base: string, id: string): Promise<Probe[]> {
  const byIndex = new Map<number, Probe>();
  for (const p of await allSamples(base, id) as Probe[]) {
    if (p.status !== "duplicate") byIndex.set(p.index, p);
  }
  return [...byIndex.values()].sort((a, b) => a.index - b.index);
}

/** Runs `fn` against a fresh bed and server, cleaning both up. */
async function withBed(fn: (bed: Testbed, server: Server) => Promise<void>) {
  const dir = await Deno.makeTempDir();
  const bed = await createTestbed();
  let server: Server | null = null;
  try {
    server = await bedServer(bed, dir);
    await fn(bed, server);
    assert.equal((await stopServer(server)).code, 0, server.output());
  } finally {
    if (server) await stopServer(server, "SIGKILL");
    await bed.destroy();
    await Deno.remove(dir, { recursive: true });
  }
}

const COUNT = 300; // 20 ms apart: 6 s
const settings = {
  targets: ["bed"],
  interval_ms: 20,
  count: COUNT,
  timeout_ms: 200,
};

Deno.test({
  name:
    "target stops answering mid-test, then answers again: loss recorded, test completes",
  ignore: noBed,
  async fn() {
    await withBed(async (bed, server) => {
      const limits = { maxPackets: COUNT + 50, maxSeconds: 30 };
      const first = await bed.startResponder(limits);
      const id = await postTest(server.base, settings);
      await sleep(1500);
      await first.stop();
      await sleep(2000);
      const second = await bed.startResponder(limits);
      const meta = await waitForTestEnd(server.base, id, 20_000);
      await second.stop();
      assert.equal(meta.status, "completed");
      const probes = await finalProbes(server.base, id);
      assert.equal(probes.length, COUNT);
      const statuses = probes.map((p) => p.status === "ok" ? "o" : "x").join(
        "",
      );
      // Answered, then a silent stretch (at least 1.5 s of it), then answered.
      assert.match(statuses, /^o{40,}x{75,}o{40,}$/, statuses);
      const [summary] = meta.summary as { lost: number; received: number }[];
      assert.equal(summary.lost, (statuses.match(/x/g) ?? []).length);
    });
  },
});

Deno.test({
  name:
    "interface down mid-test, then up: send errors recorded, test completes",
  ignore: noBed,
  async fn() {
    await withBed(async (bed, server) => {
      // With the link down its connected route goes; this keeps the bed's
      // subnet unreachable instead of following the default route out.
      const guard = [bed.subnet, "metric", "4000"];
      await ip(["route", "add", "unreachable", ...guard]);
      const responder = await bed.startResponder({
        maxPackets: COUNT + 50,
        maxSeconds: 30,
      });
      try {
        const id = await postTest(server.base, settings);
        await sleep(1500);
        await ip(["link", "set", "dev", bed.hostIf, "down"]);
        await sleep(2000);
        await ip(["link", "set", "dev", bed.hostIf, "up"]);
        const meta = await waitForTestEnd(server.base, id, 20_000);
        assert.equal(meta.status, "completed");
        const probes = await finalProbes(server.base, id);
        assert.equal(probes.length, COUNT);
        const errors = probes.filter((p) => p.status === "error");
        assert.ok(errors.length >= 50, `${errors.length} send errors`);
        for (const p of errors) {
          assert.match(String(p.error), /^E(HOST|NET)UNREACH$/);
        }
        // Up again: the end of the test is answered.
        assert.ok(probes.slice(-40).every((p) => p.status === "ok"));
        const [summary] = meta.summary as { errors: number }[];
        assert.equal(summary.errors, errors.length);
      } finally {
        await responder.stop();
        await ip(["route", "del", "unreachable", ...guard]).catch(() => {});
      }
    });
  },
});

Deno.test({
  name:
    "SIGTERM while replies are outstanding (30 s timeout): exit 0 within a few seconds, test stopped",
  ignore: noBed,
  async fn() {
    const dir = await Deno.makeTempDir();
    // No responder and no kernel echo: nothing ever answers.
    const bed = await createTestbed();
    let server = await bedServer(bed, dir);
    try {
      const id = await postTest(server.base, {
        targets: ["bed"],
        interval_ms: 50,
        count: 1000,
        timeout_ms: 30_000,
      });
      await sleep(1000);
      const t0 = performance.now();
      const status = await stopServer(server, "SIGTERM");
      const took = performance.now() - t0;
      assert.equal(status.code, 0, server.output());
      assert.ok(took < 5000, `exit took ${Math.round(took)} ms`);
      server = await bedServer(bed, dir);
      const meta = await getJson(`${server.base}/api/tests/${id}`);
      assert.equal(meta.status, "stopped");
      const probes = await finalProbes(server.base, id);
      assert.ok(probes.length >= 10);
      assert.ok(probes.every((p) => p.status === "lost"));
    } finally {
      await stopServer(server, "SIGKILL");
      await bed.destroy();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "name resolution fails mid-test: the running test is unaffected, a new one is refused clearly",
  ignore: noMountNs,
  async fn() {
    // The server sees its own /etc/hosts and files-only name service, so
    // "failing DNS" is a file edit and no query leaves the machine.
    const dir = await Deno.makeTempDir();
    const hosts = `${dir}/hosts`;
    const nss = `${dir}/nsswitch.conf`;
    await Deno.writeTextFile(hosts, "127.0.0.1 pla-target\n");
    await Deno.writeTextFile(nss, "hosts: files\n");
    const server = await startServer({
      dir,
      config: "servers:\n  - { id: named, name: Named, host: pla-target }\n",
      wrap: inMountNamespace(
        'mount --bind "$1" /etc/hosts && mount --bind "$2" /etc/nsswitch.conf',
        [hosts, nss],
      ),
    });
    try {
      const id = await postTest(server.base, {
        targets: ["named"],
        interval_ms: 20,
        count: 150,
        timeout_ms: 500,
      });
      await sleep(800);
      // Same inode, so the bind mount sees it: the name no longer resolves.
      await Deno.writeTextFile(hosts, "# emptied mid-test\n");
      // Names are resolved when a test is asked for (the target policy checks
      // the address), so the new test is refused at once and nothing starts.
      const res = await fetch(`${server.base}/api/tests`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ targets: ["named"], interval_ms: 20, count: 5 }),
      });
      const problem = await res.json();
      assert.equal(res.status, 422, JSON.stringify(problem));
      assert.equal(problem.field, "targets.0");
      assert.match(problem.detail, /cannot resolve host 'pla-target': /);
      // Targets are resolved once, at the start: the first test goes on.
      const meta = await waitForTestEnd(server.base, id, 20_000);
      assert.equal(meta.status, "completed");
      const [summary] = meta.summary as { sent: number; received: number }[];
      assert.deepEqual([summary.sent, summary.received], [150, 150]);
      assert.equal((await stopServer(server)).code, 0);
    } finally {
      await stopServer(server, "SIGKILL");
      await Deno.remove(dir, { recursive: true });
    }
  },
});
