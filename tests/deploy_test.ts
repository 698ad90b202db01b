// The container cannot be built here (no Docker engine), so this checks what
// can be checked without one: compose.yaml and the example config are valid
// and wired together, and the Dockerfile's own CMD and HEALTHCHECK, with its
// paths mapped onto this checkout, serve and probe loopback as the container
// would: no capabilities at all, ICMP through ping sockets enabled by the
// same sysctl compose.yaml sets, in a network namespace of its own.
import assert from "node:assert/strict";
import { parse as parseYaml, stringify as toYaml } from "yaml";
import {
  ConfigError,
  loadConfig,
  parseConfig,
} from "../server/config/config.ts";
import { newToken, sha256Hex } from "../server/auth/password.ts";
import { testbedUnavailableReason } from "../testing/testbed/testbed.ts";
import { gate } from "../testing/gate.ts";
import { runCommand } from "../testing/run_command.ts";

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const read = (f: string) => Deno.readTextFileSync(`${ROOT}/${f}`);

/** Dockerfile instructions with continuation lines joined. */
function instructions(text: string): { op: string; args: string }[] {
  const joined = text.replace(/\\\n/g, " ");
  return joined.split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"))
    .map((l) => {
      const [op, ...rest] = l.split(/\s+/);
      return { op: op.toUpperCase(), args: rest.join(" ") };
    });
}

const docker = instructions(read("Dockerfile"));
const EXAMPLE = "server/config/config.example.yaml";

/** The example config with a fresh operator token added. */
async function exampleWithToken() {
  const token = newToken();
  const config = parseYaml(read(EXAMPLE));
  config.auth.tokens = [
    { name: "deploy-test", role: "operator", sha256: await sha256Hex(token) },
  ];
  return { token, yaml: toYaml(config) };
}

/** The Dockerfile's ENV settings. */
function dockerEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const i of docker.filter((i) => i.op === "ENV")) {
    for (const [, k, v] of i.args.matchAll(/(\w+)=(\S+)/g)) env[k] = v;
  }
  return env;
}
const compose = parseYaml(read("compose.yaml"));
type ComposeService = Record<string, unknown> & { profiles?: string[] };
const services = compose.services as Record<string, ComposeService>;
/** The default stack: services without a profile. */
const defaults = Object.entries(services).filter(([, s]) => !s.profiles);
const service = defaults[0][1];

Deno.test("Dockerfile: build stage, non-root runtime, health check on /healthz", () => {
  const froms = docker.filter((i) => i.op === "FROM");
  assert.equal(froms.length, 2, "multi-stage: a build stage and a runtime");
  assert.match(froms[0].args, /^denoland\/deno:\S+ AS build$/);
  assert.match(froms[1].args, /^denoland\/deno:/);
  const runtime = docker.slice(docker.indexOf(froms[1]));
  const user = runtime.filter((i) => i.op === "USER").at(-1);
  assert.ok(user && !/^(root|0)$/.test(user.args), "runs as a non-root user");
  assert.ok(
    runtime.some((i) => i.op === "HEALTHCHECK" && i.args.includes("/healthz")),
  );
  assert.ok(
    docker.some((i) => i.op === "RUN" && i.args.includes("deno task build")),
    "the build stage compiles the shim and bundles the page",
  );
});

Deno.test("Dockerfile CMD grants what `deno task start` grants, no more", () => {
  const start = JSON.parse(read("deno.json")).tasks.start.command as string;
  const flags = (args: string[]) =>
    new Map(
      args.filter((a) => a.startsWith("--allow-")).map((a) => {
        const [name, value] = a.split("=");
        return [name, name === "--allow-sys" ? value : "(paths)"];
      }),
    );
  const cmd = execForm("CMD", {});
  assert.deepEqual(flags(cmd), flags(start.split(/\s+/)));
  // FFI for the shim and for libdatachannel's addon in the image's npm cache
  // (device tests); a narrower grant makes /api/device-tests answer 503.
  assert.deepEqual(
    cmd.find((a) => a.startsWith("--allow-ffi="))?.split("=")[1].split(","),
    [
      "/app/probe/native/libpla_icmp.so",
      "/deno-dir/npm/registry.npmjs.org/@node-datachannel",
    ],
  );
  // The same V8 heap settings (the young generation's cap: BENCHMARKS.md, 4).
  const v8 = (args: string[]) => args.filter((a) => a.startsWith("--v8-flags"));
  assert.deepEqual(v8(cmd), v8(start.split(/\s+/)));
});

Deno.test("compose.yaml: one service, port, KV volume, read-only config, ping sysctl", async () => {
  assert.equal(defaults.length, 1, "one service unless a profile is asked for");
  // The HTTP port, and the device tests' UDP range (device_test.ports).
  assert.deepEqual(service.ports, ["8080:8080", "40000-40100:40000-40100/udp"]);
  const volumes = service.volumes as string[];
  assert.ok(volumes.some((v) => /^[\w-]+:\/data$/.test(v)), "KV volume");
  const env = service.environment as Record<string, string>;
  const mount = volumes.find((v) => v.endsWith(`:${env.PLA_CONFIG}:ro`));
  assert.ok(mount, "the config PLA_CONFIG names is mounted read-only");
  const example = mount.match(/:-([^}]+)\}/)?.[1];
  assert.equal(example, `./${EXAMPLE}`, "the mount defaults to the example");
  // Sign-in is required, so the example is refused until it names a user...
  await assert.rejects(
    loadConfig(`${ROOT}/${EXAMPLE}`),
    (e: ConfigError) =>
      /auth\.mode: authentication is required/.test(e.message),
  );
  // ...and valid once it does.
  parseConfig((await exampleWithToken()).yaml);
  assert.deepEqual(service.sysctls, {
    "net.ipv4.ping_group_range": "0 2147483647",
  });
  assert.deepEqual(service.cap_drop, ["ALL"]);
});

Deno.test("compose profiles: PostgreSQL for the history, the same image as an agent", () => {
  const byProfile = (p: string) =>
    Object.values(services).filter((s) => s.profiles?.includes(p));
  const [pg] = byProfile("postgres");
  assert.match(String(pg.image), /^postgres:\d+/);
  const env = service.environment as Record<string, string>;
  assert.equal(env.PLA_DATABASE_URL, "${PLA_DATABASE_URL:-}", "off unless set");
  const [agent] = byProfile("agent");
  assert.equal(agent.image, service.image, "the same image");
  const command = agent.command as string[];
  assert.equal(command[0], "agent");
  assert.ok(command.includes("--server") && command.includes("--site"));
  assert.deepEqual(agent.cap_drop, ["ALL"]);
  assert.equal(agent.ports, undefined, "an agent needs no inbound port");
});

Deno.test("entrypoint: `agent` and `migrate` get their tasks' permissions, anything else runs as given", () => {
  const entry = docker.findLast((i) => i.op === "ENTRYPOINT")!;
  assert.deepEqual(JSON.parse(entry.args), ["/app/deploy/entrypoint.sh"]);
  const script = read("deploy/entrypoint.sh");
  const tasks = JSON.parse(read("deno.json")).tasks;
  const flagsOf = (text: string) =>
    new Set(
      text.match(/--allow-[a-z]+/g) ?? [],
    );
  for (const name of ["agent", "migrate"]) {
    const branch = script.slice(script.indexOf(`  ${name})`));
    const line = branch.slice(0, branch.indexOf(";;"));
    const task = typeof tasks[name] === "string"
      ? tasks[name]
      : tasks[name].command;
    assert.deepEqual(flagsOf(line), flagsOf(task), `${name}: same permissions`);
    assert.match(line, /--cached-only/);
  }
  assert.match(script, /\nexec "\$@"\n$/, "the CMD runs as given");
});

const noBed = gate(
  "container command test",
  await testbedUnavailableReason(),
);

/** The Dockerfile's exec-form argument list of `op`, paths mapped to here. */
function execForm(op: string, map: Record<string, string>): string[] {
  const inst = docker.findLast((i) => i.op === op)!;
  const json = inst.args.slice(inst.args.indexOf("["));
  return (JSON.parse(json) as string[]).map((a) => {
    if (a === "deno") return Deno.execPath();
    for (const [from, to] of Object.entries(map)) {
      a = a.replace(new RegExp(`(?<=^|[=,])${from}(?=/|,|$)`, "g"), to);
    }
    return a;
  });
}

Deno.test({
  name: "the container's CMD serves and probes loopback with no capabilities",
  ignore: noBed,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "pla-deploy-" });
    const ns = `pla-dep-${Deno.pid}`;
    const ip = (a: string[]) => new Deno.Command("ip", { args: a }).output();
    await ip(["netns", "del", ns]); // left by a killed run with the same pid
    await ip(["netns", "add", ns]);
    try {
      await ip(["-n", ns, "link", "set", "lo", "up"]);
      await ip([
        "netns",
        "exec",
        ns,
        "sysctl",
        "-qw",
        `net.ipv4.ping_group_range=${
          (service.sysctls as Record<string, string>)[
            "net.ipv4.ping_group_range"
          ]
        }`,
      ]);
      const inNs = ["ip", "netns", "exec", ns, "setpriv"];
      const noCaps = ["--bounding-set=-all", "--inh-caps=-all"];
      const { token, yaml } = await exampleWithToken();
      await Deno.mkdir(`${dir}/config`);
      await Deno.writeTextFile(`${dir}/config/pla.yaml`, yaml);
      const paths = {
        "/app": ROOT,
        "/data": `${dir}/data`,
        "/config": `${dir}/config`,
      };
      await Deno.mkdir(paths["/data"]);
      const cmd = execForm("CMD", paths);
      const image = dockerEnv();
      assert.equal(image.HOST, "0.0.0.0", "reachable through a published port");
      const env: Record<string, string> = {
        ...image,
        PLA_KV: image.PLA_KV.replace("/data", paths["/data"]),
        // compose.yaml's setting, with its mount mapped here.
        PLA_CONFIG: (service.environment as Record<string, string>).PLA_CONFIG
          .replace("/config", paths["/config"]),
      };
      const server = new Deno.Command(inNs[0], {
        args: [...inNs.slice(1), ...noCaps, ...cmd],
        cwd: ROOT,
        env,
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const out = server.stdout.pipeThrough(new TextDecoderStream())
        .getReader();
      try {
        let log = "";
        const deadline = Date.now() + 30_000;
        while (!log.includes('"listening"') && Date.now() < deadline) {
          const { value, done } = await out.read();
          if (done) break;
          log += value;
        }
        assert.match(log, /"listening"/, log);
        assert.match(log, /"msg":"icmp","ipv4":"dgram","ipv6":"dgram"/, log);

        const health = execForm("HEALTHCHECK", {});
        const hc = await runCommand(
          inNs[0],
          [...inNs.slice(1), ...noCaps, ...health],
          { env },
        );
        assert.equal(hc.code, 0, hc.stderr);

        // A short loopback test through the API, from inside the namespace.
        const client = `
        const base = "http://127.0.0.1:${env.PORT}";
        const auth = { authorization: "Bearer ${token}" };
        const r = await fetch(base + "/api/tests", { method: "POST", headers: auth,
          body: JSON.stringify({ targets: ["localhost-v4", "localhost-v6"],
            count: 3, interval_ms: 10, timeout_ms: 500 }) });
        const { id } = await r.json();
        for (let i = 0; i < 100; i++) {
          const t = await (await fetch(base + "/api/tests/" + id, { headers: auth })).json();
          if (t.status !== "running") break;
          await new Promise((ok) => setTimeout(ok, 50));
        }
        const test = await (await fetch(base + "/api/tests/" + id, { headers: auth })).json();
        // The page's bundled assets are readable under the CMD's permissions.
        const html = await (await fetch(base + "/tests/" + id, { headers: auth })).text();
        const assets = [...html.matchAll(/(?:src|href)="(\\/static\\/build\\/[^"]+)"/g)];
        const served = await Promise.all(assets.map(async ([, a]) =>
          (await fetch(base + a)).status));
        console.log(JSON.stringify({ test, served }));`;
        const c = await runCommand(inNs[0], [
          ...inNs.slice(1),
          ...noCaps,
          Deno.execPath(),
          "eval",
          client,
        ]);
        assert.equal(c.code, 0, c.stderr);
        const { test, served } = JSON.parse(c.stdout);
        assert.equal(test.status, "completed");
        assert.ok(served.length >= 2, "the page links its script and styles");
        assert.deepEqual(served, served.map(() => 200));
        assert.deepEqual(
          test.summary.map((s: { received: number }) => s.received),
          [3, 3],
        );
      } finally {
        server.kill("SIGTERM");
        const status = await server.status;
        await out.cancel().catch(() => {});
        await server.stderr.cancel().catch(() => {});
        assert.equal(status.code, 0, "SIGTERM ends the server cleanly");
      }
    } finally {
      await ip(["netns", "del", ns]);
      await Deno.remove(dir, { recursive: true });
    }
  },
});
