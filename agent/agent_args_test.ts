import assert from "node:assert/strict";
import { AgentArgsError, parseAgentArgs } from "./agent_args.ts";

const env = (vars: Record<string, string> = {}) => (k: string) => vars[k];
const host = () => "box";

Deno.test("agent args: server, site, token from the flag or PLA_AGENT_TOKEN, a default name", () => {
  assert.deepEqual(
    parseAgentArgs(
      ["--server", "https://pla.example/", "--site", "lab"],
      env({ PLA_AGENT_TOKEN: "pla_x" }),
      host,
    ),
    {
      server: "https://pla.example",
      token: "pla_x",
      site: "lab",
      name: "box-lab",
      bufferDir: undefined,
      bufferMax: 1_000_000,
    },
  );
  const a = parseAgentArgs(
    [
      "--server=http://10.0.0.1:8080",
      "--site=east",
      "--token=t",
      "--name=e1",
      "--buffer-dir=data/agent",
      "--buffer-max=5000",
    ],
    env(),
    host,
  );
  assert.equal(a.token, "t");
  assert.equal(a.bufferDir, "data/agent");
  assert.equal(a.bufferMax, 5000);
});

Deno.test("agent args: each bad flag is named", () => {
  for (
    const [args, re] of [
      [["--site", "lab"], /--server is required/],
      [["--server", "ftp://x", "--site", "lab"], /--server: must be an http/],
      [["--server", "nope", "--site", "lab"], /--server: "nope" is not a URL/],
      [["--server", "http://x"], /--site is required/],
      [["--server", "http://x", "--site", "Lab!"], /--site: 1-63 lowercase/],
      [
        ["--server", "http://x", "--site", "lab", "--buffer-max", "0"],
        /--buffer-max: a whole number/,
      ],
      [
        ["--server", "http://x", "--site", "lab", "--name", "a b"],
        /--name: 1-64/,
      ],
      [["--server", "http://x", "--site", "lab", "--bogus"], /bogus/],
    ] as const
  ) {
    assert.throws(
      () => parseAgentArgs([...args], env(), host),
      (e) => e instanceof AgentArgsError && re.test(e.message),
      args.join(" "),
    );
  }
});
