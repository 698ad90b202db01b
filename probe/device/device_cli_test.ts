// The terminal client as a user runs it: bad usage is exit 2 with a message
// naming the flag; against a real server on loopback, a table or one JSON
// record of the stored test, exit 0.
import assert from "node:assert/strict";
import { parseDeviceArgs } from "./device_cli.ts";
import { startServer, stopServer } from "../../testing/server_process.ts";
import { taskPermissions } from "../../testing/deno_flags.ts";

const CLI = new URL("../cli.ts", import.meta.url).pathname;

async function cli(args: string[]) {
  const o = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...taskPermissions("probe"), CLI, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: o.code, out: dec.decode(o.stdout), err: dec.decode(o.stderr) };
}

Deno.test("device flags: a preset with overrides; bad values name the flag", () => {
  const o = parseDeviceArgs([
    "--device",
    "http://h:8080/x",
    "--preset",
    "game",
    "--rate",
    "100",
    "--duration",
    "1.5m",
    "--delay",
    "150ms",
  ]);
  assert.equal(o.server, "http://h:8080");
  assert.deepEqual(o.request, {
    preset: "game",
    rate: 100,
    duration_s: 90,
    delay_ms: 150,
  });
  for (
    const [args, re] of [
      [["--device", "ftp://h"], /--device: 'ftp:\/\/h' is not an http/],
      [["--device", "http://h", "--preset", "fax"], /--preset: 'fax'/],
      [["--device", "http://h", "--size", "1e3x"], /--size: '1e3x'/],
      [["--device", "http://h", "--duration", "soon"], /--duration: 'soon'/],
      [["--device", "http://h", "--output", "xml"], /--output: 'xml'/],
    ] as [string[], RegExp][]
  ) {
    assert.throws(() => parseDeviceArgs(args), re);
  }
});

Deno.test("deno task probe --device against a server: exit 3 on a refused value, a table, or JSON", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pla-device-cli-" });
  const server = await startServer({ dir });
  try {
    const bad = await cli(["--device", server.base, "--rate", "301"]);
    assert.equal(bad.code, 3, bad.err);
    assert.match(
      bad.err,
      /refused the test \(422\): rate: rate must be at most 300/,
    );
    const text = await cli([
      "--device",
      server.base,
      "--rate",
      "50",
      "--duration",
      "1",
    ]);
    assert.equal(text.code, 0, text.err);
    assert.match(text.out, /^DEVICE TEST \w+: completed/);
    assert.match(
      text.out,
      /upload +sent 50 +received by the server 50 +lost 0/,
    );
    assert.match(text.out, /verdicts +voip: /);
    const json = await cli([
      "--device",
      server.base,
      "--preset",
      "game",
      "--duration",
      "1",
      "--warmup",
      "500ms",
      "--output",
      "json",
    ]);
    assert.equal(json.code, 0, json.err);
    const rec = JSON.parse(json.out);
    assert.equal(rec.type, "device");
    assert.equal(rec.status, "completed");
    assert.equal(rec.settings.size, 64);
    assert.equal(rec.settings.warmup_s, 0.5);
    // The warm-up's 32 probes were echoed but not counted.
    assert.equal(rec.upload.sent, 64);
    assert.equal(rec.dropped_messages, 0);
    assert.equal(rec.download.echoed, rec.upload.received);
  } finally {
    await stopServer(server);
    await Deno.remove(dir, { recursive: true });
  }
});
