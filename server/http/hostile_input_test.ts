// Hostile input through every entry point: API bodies, query strings, the SSE
// Last-Event-ID, config files, CLI flags, service options, credentials. Each
// gets a clear error naming the problem, and nothing changes (no test started,
// nothing audited, nothing deleted).
import assert from "node:assert/strict";
import type { Hono } from "hono";
import { parseCliArgs, UsageError } from "../../probe/cli_args.ts";
import {
  type ApiKit,
  postJson,
  quickTest,
  withApiKit,
} from "../../testing/api_testkit.ts";
import { authConfigYaml } from "../../testing/auth_testkit.ts";
import {
  ConfigError,
  loadConfig,
  MAX_CONFIG_BYTES,
  parseConfig,
} from "../config/config.ts";
import { mainOptions } from "../main_options.ts";

/** Everything observable that a request could change. */
async function snapshot(kit: ApiKit) {
  return JSON.stringify({
    tests: await kit.runner.list(),
    audit: (await kit.audit.list(1000)).entries,
    running: kit.runner.running,
  });
}

async function problem(res: Response, status: number, detail: RegExp) {
  assert.equal(res.status, status, await res.clone().text());
  assert.equal(res.headers.get("content-type"), "application/problem+json");
  const body = await res.json();
  assert.match(body.detail, detail);
  assert.ok(body.detail.length < 2000, "the message stays short");
}

const huge = "A".repeat(10_000);

Deno.test("hostile API bodies: 400/422 naming the field; nothing changes", async () => {
  await withApiKit(async (kit) => {
    const done = await quickTest(kit);
    const before = await snapshot(kit);
    const cases: [unknown, number, RegExp][] = [
      ["", 400, /^body: malformed JSON/],
      ["{", 400, /^body: malformed JSON/],
      ["\u0000\u0001", 400, /^body: malformed JSON/],
      ["null", 422, /^body must be a JSON object/],
      ["[1,2]", 422, /^body must be a JSON object/],
      ['"targets"', 422, /^body must be a JSON object/],
      [{}, 422, /^targets: /],
      [{ targets: "localhost-v4", count: 1 }, 422, /^targets: /],
      [{ targets: [], count: 1 }, 422, /^targets: .*at least one/],
      [{ targets: [1], count: 1 }, 422, /^targets\.0: /],
      [{ targets: [huge], count: 1 }, 422, /^targets\.0: /],
      [{ targets: Array(2000).fill("x"), count: 1 }, 422, /^targets: /],
      [
        { targets: ["localhost-v4", "localhost-v4"], count: 1 },
        422,
        /listed twice/,
      ],
      [
        { targets: ["<script>alert(1)</script>"], count: 1 },
        422,
        /^targets\.0: unknown server/,
      ],
      [
        { targets: ["localhost-v4'; DROP TABLE tests;--"], count: 1 },
        422,
        /^targets\.0: unknown server/,
      ],
      [
        { targets: ["../../etc/passwd"], count: 1 },
        422,
        /^targets\.0: unknown server/,
      ],
      [{ targets: ["localhost-v4"], count: -1 }, 422, /^count: /],
      [{ targets: ["localhost-v4"], count: 1.5 }, 422, /^count: /],
      [{ targets: ["localhost-v4"], count: 1e308 }, 422, /^count: /],
      [{ targets: ["localhost-v4"], count: "5" }, 422, /^count: /],
      [
        { targets: ["localhost-v4"], count: 1, interval_ms: 0 },
        422,
        /^interval_ms: /,
      ],
      [
        { targets: ["localhost-v4"], count: 1, interval_ms: -5 },
        422,
        /^interval_ms: /,
      ],
      [{ targets: ["localhost-v4"], count: 1, size: 1e9 }, 422, /^size: /],
      [{ targets: ["localhost-v4"], count: 1, size: 10 }, 422, /^size: /],
      [{ targets: ["localhost-v4"], count: 1, ttl: 256 }, 422, /^ttl: /],
      [
        { targets: ["localhost-v4"], count: 1, timeout_ms: {} },
        422,
        /^timeout_ms: /,
      ],
      [{ targets: ["localhost-v4"], duration_s: 1e12 }, 422, /^duration_s: /],
      [{ targets: ["localhost-v4"], count: 1, extra: true }, 422, /^extra: /],
      [
        '{"targets":["localhost-v4"],"count":1,"__proto__":{"admin":true}}',
        422,
        /^__proto__: /,
      ],
      [
        { targets: ["localhost-v4"], count: 1, constructor: {} },
        422,
        /^constructor: /,
      ],
      [
        `{"targets":${"[".repeat(5000)}${"]".repeat(5000)},"count":1}`,
        422,
        /^targets/,
      ],
    ];
    for (const [body, status, detail] of cases) {
      for (const path of ["/api/tests", "/start_test"]) {
        await problem(await postJson(kit.app, path, body), status, detail);
      }
    }
    // Wrong methods and ids on the other routes.
    await problem(
      await kit.app.request(`/api/tests/${encodeURIComponent(huge)}/stop`, {
        method: "POST",
      }),
      404,
      /no test with id/,
    );
    await problem(
      await kit.app.request("/api/tests/%00", { method: "DELETE" }),
      404,
      /no test with id/,
    );
    assert.equal(await snapshot(kit), before);
    assert.ok(done);
  });
});

Deno.test("hostile query strings: 400 naming the parameter", async () => {
  await withApiKit(async (kit) => {
    const id = await quickTest(kit);
    const before = await snapshot(kit);
    const cases: [string, RegExp][] = [
      ["/api/tests?limit=-1", /^limit: /],
      ["/api/tests?limit=0", /^limit: /],
      ["/api/tests?limit=1e3", /^limit: /],
      ["/api/tests?limit=99999999999999999999999", /^limit: /],
      ["/api/tests?limit=%20%31", /^limit: /],
      ["/api/tests?cursor=%%%", /^cursor: /],
      [`/api/tests?cursor=${huge}`, /^cursor: /],
      ["/api/tests?cursor=WzEsMl0", /^cursor: /],
      ["/api/tests?status=%3Cscript%3E", /^status: /],
      ["/api/tests?target=nope", /^target: /],
      ["/api/tests?from=yesterday", /^from: /],
      ["/api/tests?to=2024-13-45T99:99Z", /^to: /],
      ["/api/audit?limit=abc", /^limit: /],
      ["/api/audit?cursor=not-a-cursor", /^cursor: /],
      [`/api/tests/${id}/samples?limit=10001`, /^limit: /],
      [`/api/tests/${id}/samples?limit=-5`, /^limit: /],
      [`/api/tests/${id}/samples?cursor=-1`, /^cursor: /],
      [`/api/tests/${id}/samples?cursor=1e400`, /^cursor: /],
      [`/api/tests/${id}/export?format=xml`, /^format: /],
      [`/api/tests/${id}/export?format=${huge}`, /^format: /],
      [`/api/tests/${id}/events?last_event_id=-1`, /^Last-Event-ID: /],
    ];
    for (const [path, detail] of cases) {
      await problem(await kit.app.request(path), 400, detail);
    }
    assert.equal(await snapshot(kit), before);
  });
});

Deno.test("hostile Last-Event-ID: 400 for anything but a plain non-negative integer", async () => {
  await withApiKit(async (kit) => {
    const id = await quickTest(kit);
    const before = await snapshot(kit);
    for (
      const v of [
        "-1",
        "abc",
        "1.5",
        "0x10",
        "1e3",
        "9".repeat(16),
        "9".repeat(5000),
        "Infinity",
        "NaN",
        "1;2",
      ]
    ) {
      const res = await kit.app.request(`/api/tests/${id}/events`, {
        headers: { "last-event-id": v },
      });
      await problem(res, 400, /^Last-Event-ID: must be a non-negative integer/);
    }
    // A large but valid id resumes after the end: an empty stream that closes.
    const past = await kit.app.request(`/api/tests/${id}/events`, {
      headers: { "last-event-id": "999999999" },
    });
    assert.equal(past.status, 200);
    assert.doesNotMatch(await past.text(), /^id: /m);
    assert.equal(await snapshot(kit), before);
  });
});

Deno.test("hostile credentials: 401, no session, nothing changes", async () => {
  await withApiKit(async (kit) => {
    const before = await snapshot(kit);
    const tries: Record<string, string>[] = [
      { authorization: "Bearer " },
      { authorization: `Bearer ${huge}` },
      { authorization: "Bearer a b" },
      { authorization: "bearer\tx" },
      { cookie: `pla_session=${huge}` },
      { cookie: "pla_session=; pla_session=x" },
      { cookie: ";;;=;" },
    ];
    for (const headers of tries) {
      const res = await (kit.app as Hono).request("/api/tests", {
        method: "POST",
        body: JSON.stringify({ targets: ["localhost-v4"], count: 1 }),
        headers: { ...headers, "content-type": "application/json" },
      });
      assert.equal(res.status, 401, JSON.stringify(headers).slice(0, 80));
      await res.body?.cancel();
    }
    assert.equal(await snapshot(kit), before);
  }, { configYaml: await authConfigYaml() });
});

Deno.test("hostile config files: every problem named with file and path", async () => {
  const good =
    "servers: [{id: a, name: A, host: 127.0.0.1}]\nauth: {mode: open}\n";
  const cases: [string, RegExp][] = [
    ["servers: [", /^c\.yaml: /m],
    ["\t- x", /^c\.yaml: /m],
    ["- just\n- a list", /^c\.yaml: \(root\): /m],
    ["42", /^c\.yaml: \(root\): /m],
    [good + "servers: []\n", /^c\.yaml: .*unique|^c\.yaml: .*[Dd]uplicate/m],
    [good + "bogus: 1\n", /^c\.yaml: \(root\): .*bogus/m],
    [
      good + "limits: {max_targets: 1e12}\n",
      /^c\.yaml: limits\.max_targets: /m,
    ],
    [good + "limits: {max_pps: -1}\n", /^c\.yaml: limits\.max_pps: /m],
    [good + "limits: {max_size: '56'}\n", /^c\.yaml: limits\.max_size: /m],
    [
      good + "limits: {unknown_limit: 3}\n",
      /^c\.yaml: limits: .*unknown_limit/m,
    ],
    [good + "retention_days: 1e300\n", /^c\.yaml: retention_days: /m],
    [
      good.replace("name: A", `name: "${huge}"`),
      /^c\.yaml: servers\.0\.name: /m,
    ],
    [
      good.replace("host: 127.0.0.1", "host: '127.0.0.1; rm -rf /'"),
      /^c\.yaml: servers\.0\.host: /m,
    ],
    [
      good.replace("host: 127.0.0.1", "host: 255.255.255.255"),
      /servers\.0\.host: .*broadcast/m,
    ],
    [good.replace("mode: open", "mode: off"), /^c\.yaml: auth\.mode: /m],
    [
      good + "targets: {allow_cidrs: [everything]}\n",
      /^c\.yaml: targets\.allow_cidrs\.0: /m,
    ],
    [
      // A billion-laughs style alias bomb is stopped by the YAML parser.
      "a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\n",
      /^c\.yaml: .*[Aa]lias/m,
    ],
  ];
  for (const [text, re] of cases) {
    try {
      parseConfig(text, "c.yaml");
      assert.fail(`accepted: ${text.slice(0, 60)}`);
    } catch (e) {
      assert.ok(e instanceof ConfigError, String(e));
      assert.match(e.message, re, text.slice(0, 80));
    }
  }
  const dir = await Deno.makeTempDir();
  try {
    const big = `${dir}/big.yaml`;
    await Deno.writeTextFile(big, good + "#".repeat(MAX_CONFIG_BYTES));
    await assert.rejects(
      loadConfig(big),
      /big\.yaml: .* bytes, at most 1048576/,
    );
    await assert.rejects(loadConfig(dir), /: /);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("hostile CLI flags and service options: a usage error naming the flag", () => {
  const cases: [string[], RegExp][] = [
    [["--host", "127.0.0.1", "--interval", "-1"], /--interval/],
    [["--host", "127.0.0.1", "--interval", "0s"], /--interval/],
    [["--host", "127.0.0.1", "--count", "1e999"], /--count/],
    [["--host", "127.0.0.1", "--count", "0"], /--count/],
    [["--host", "127.0.0.1", "--count", "9".repeat(400)], /--count/],
    [["--host", "127.0.0.1", "--size", "999999"], /--size/],
    [["--host", "127.0.0.1", "--ttl", "0"], /--ttl/],
    [["--host", "127.0.0.1", "--timeout", "forever"], /--timeout/],
    [["--host", "127.0.0.1", "--output", "html"], /--output/],
    [["--host", "127.0.0.1", "--report-every", "1ms"], /--report-every/],
    [["--host", "127.0.0.1", "--bogus"], /bogus/],
    [["--host"], /host/],
    [[], /no target/],
  ];
  for (const [argv, re] of cases) {
    assert.throws(
      () => parseCliArgs(argv),
      (e) => e instanceof UsageError && re.test(e.message),
      argv.join(" "),
    );
  }
  const env = (vars: Record<string, string>) => (k: string) => vars[k];
  for (
    const [args, vars, re] of [
      [["--config"], {}, /--config needs a file/],
      [["--config=x", "--evil"], {}, /unknown argument "--evil"/],
      [[], { PORT: "99999" }, /PORT: not a port number/],
      [[], { PORT: "80; rm -rf /" }, /PORT: /],
      [[], { HOST: "0.0.0.0 --allow-all" }, /HOST: not an IP address/],
    ] as [string[], Record<string, string>, RegExp][]
  ) assert.throws(() => mainOptions(args, env(vars)), re);
});
