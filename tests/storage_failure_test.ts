// Storage that cannot be written, with the real server: its KV on a small
// tmpfs in a private mount namespace, filled up mid-test. The running test
// ends `failed` with a clear reason, the server keeps serving (/healthz says
// writes fail) and recovers once space is back. Also: an unusable KV path at
// startup (not a directory; read-only file system) is a clear error, exit 2.
// Needs root (mount namespace, tmpfs); loopback probes only, bounded counts.
import assert from "node:assert/strict";
import {
  getJson,
  postTest,
  ROOT,
  type Server,
  sleep,
  startServer,
  stopServer,
  waitForTestEnd,
} from "../testing/server_process.ts";
import {
  mountNamespaceUnavailable,
  onTmpfs,
} from "../testing/mount_namespace.ts";
import { gate } from "../testing/gate.ts";
import { mustRun, runCommand } from "../testing/run_command.ts";
import { startArgs } from "../testing/deno_flags.ts";

const noMountNs = gate(
  "storage failure tests",
  await mountNamespaceUnavailable(),
);

async function run(cmd: string, args: string[]): Promise<void> {
  await mustRun(cmd, args);
}

/** Runs a shell command inside the server's mount namespace. */
function inServerNs(server: Server, script: string, arg: string) {
  return run("nsenter", [
    "-t",
    String(server.child.pid),
    "-m",
    "sh",
    "-c",
    script,
    arg,
  ]);
}

/** A long loopback test, the disk filled under it: it fails cleanly, the server serves on and recovers. */
async function fillMidTest() {
  const dir = await Deno.makeTempDir();
  const mnt = `${dir}/kv`;
  await Deno.mkdir(mnt);
  const server = await startServer({
    dir,
    kvPath: `${mnt}/pla.kv`,
    wrap: onTmpfs(mnt, "size=8m"),
  });
  try {
    const id = await postTest(server.base, {
      targets: ["localhost-v4"],
      interval_ms: 10,
      count: 20_000,
      timeout_ms: 500,
    });
    await sleep(1500);
    assert.equal(
      (await getJson(`${server.base}/api/tests/${id}`)).status,
      "running",
    );
    // Fill the tmpfs to the last byte (cat stops at ENOSPC).
    await inServerNs(
      server,
      'cat /dev/zero > "$0" 2>/dev/null; true',
      `${mnt}/filler`,
    );

    const meta = await waitForTestEnd(server.base, id, 10_000);
    assert.equal(meta.status, "failed", JSON.stringify(meta));
    assert.match(
      String(meta.error),
      /^storage: cannot write the test's data \(.+\)$/,
    );
    // Still serving: health says why, the API answers, the data is readable.
    const health = await getJson(`${server.base}/healthz`);
    assert.equal(health.status_code, 503);
    assert.equal(health.status, "degraded");
    assert.match(JSON.stringify(health.kv), /writes fail/);
    assert.equal(
      (await getJson(`${server.base}/api/servers`)).status_code,
      200,
    );
    assert.equal((await getJson(`${server.base}/api/tests`)).status_code, 200);
    const samples = await getJson(
      `${server.base}/api/tests/${id}/samples?limit=10`,
    );
    assert.equal(samples.status_code, 200);
    // A new test now either cannot be recorded (503, saying why) or fails the same way.
    const res = await fetch(`${server.base}/api/tests`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        targets: ["localhost-v4"],
        interval_ms: 10,
        count: 5,
      }),
    });
    const body = await res.json();
    if (res.status === 503) {
      assert.match(body.detail, /^storage: cannot record a new test/);
    } else assert.equal(res.status, 201, JSON.stringify(body));

    // Storage back: the kept events are written, health recovers, tests complete.
    await inServerNs(server, 'rm "$0"', `${mnt}/filler`);
    const end = Date.now() + 10_000;
    while ((await getJson(`${server.base}/healthz`)).status_code !== 200) {
      assert.ok(Date.now() < end, "health did not recover");
      await sleep(200);
    }
    const id2 = await postTest(server.base, {
      targets: ["localhost-v4"],
      interval_ms: 10,
      count: 20,
      timeout_ms: 500,
    });
    assert.equal(
      (await waitForTestEnd(server.base, id2, 10_000)).status,
      "completed",
    );
    // Every probe of the failed test up to the failure is there, none twice.
    const probes =
      (await getJson(`${server.base}/api/tests/${id}/samples?limit=10000`))
        .probes as { index: number }[];
    const indices = probes.map((p) => p.index);
    assert.deepEqual(indices, indices.map((_, i) => i));
    assert.equal((await stopServer(server)).code, 0, server.output());
  } finally {
    await stopServer(server, "SIGKILL");
    await Deno.remove(dir, { recursive: true });
  }
}

// A read-only remount mid-test cannot be staged: the kernel refuses it
// (EBUSY) while SQLite holds the file open for writing, so a running server
// meets "cannot write" as ENOSPC or EIO; read-only is tested at startup.
Deno.test({
  name:
    "disk full mid-test: the test fails with a reason, the server serves on and recovers",
  ignore: noMountNs,
  fn: fillMidTest,
});

/**
 * Runs server/main.ts (the start task's permissions, reading and writing
 * `dir`) with KV at `kvPath` until it exits; its code and stderr.
 */
async function startupFailure(
  kvPath: string,
  dir: string,
  wrap = (cmd: string[]) => cmd,
): Promise<{ code: number; stderr: string }> {
  const [exe, ...args] = wrap([
    Deno.execPath(),
    ...startArgs({ read: [dir], write: [dir] }),
  ]);
  const { code, stderr } = await runCommand(exe, args, {
    cwd: ROOT,
    env: { PORT: "0", PLA_KV: kvPath },
  });
  return { code, stderr };
}

Deno.test("unusable KV path at startup: a clear message and exit code 2", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/file`, "not a directory");
    const kv = `${dir}/file/pla.kv`;
    const { code, stderr } = await startupFailure(kv, dir);
    assert.equal(code, 2, stderr);
    assert.match(
      stderr,
      new RegExp(`^cannot open the KV store at ${kv}: `, "m"),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "read-only KV directory at startup: a clear message and exit code 2",
  ignore: noMountNs,
  async fn() {
    const dir = await Deno.makeTempDir();
    const mnt = `${dir}/kv`;
    await Deno.mkdir(mnt);
    try {
      const kv = `${mnt}/pla.kv`;
      const { code, stderr } = await startupFailure(
        kv,
        dir,
        onTmpfs(mnt, "size=1m,ro"),
      );
      assert.equal(code, 2, stderr);
      assert.match(
        stderr,
        new RegExp(`^cannot open the KV store at ${kv}: `, "m"),
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
