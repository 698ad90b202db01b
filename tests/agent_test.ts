// Probe agents, end to end with real processes: the service (server/main.ts)
// and an agent (agent/agent_cli.ts) on loopback, the agent connecting through
// a TCP proxy that the test cuts. Tests on a `site: lab` server run on the
// agent; a test can probe one target from two sites; every probe arrives
// exactly once across a cut connection; an agent's token can do nothing else;
// a killed agent's test ends `interrupted` after the grace period.
import assert from "node:assert/strict";
import {
  type Server,
  sleep,
  startServer,
  stopServer,
} from "../testing/server_process.ts";
import { startTcpProxy } from "../testing/tcp_proxy.ts";
import { agentToken, startAgent } from "../testing/agent_process.ts";
import { newToken, sha256Hex } from "../server/auth/password.ts";

const VIEWER = newToken();
const OPERATOR = newToken();

async function config(agentLine: string): Promise<string> {
  return `servers:
  - { id: lo-lab, name: Loopback at lab, host: 127.0.0.1, site: lab }
  - { id: lo, name: Loopback, host: 127.0.0.1 }
agents: { offline_after_s: 1, grace_s: 4 }
monitors:
  - { id: lab-watch, server: lo-lab, step_s: 1, probes: 5, timeout_ms: 200 }
auth:
  mode: required
  tokens:
    - { name: viewer, role: viewer, sha256: "${await sha256Hex(VIEWER)}" }
    - { name: op, role: operator, sha256: "${await sha256Hex(OPERATOR)}" }
    - ${agentLine}
`;
}

const call = async (
  s: Server,
  token: string,
  path: string,
  body?: unknown,
) => {
  const res = await fetch(`${s.base}${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: {
      authorization: `Bearer ${token}`,
      "content-type": "application/json",
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = { text };
  }
  return { status: res.status, json };
};

async function waitEnd(s: Server, id: string, ms: number) {
  const end = Date.now() + ms;
  for (;;) {
    const { json } = await call(s, VIEWER, `/api/tests/${id}`);
    if (json.status !== "running") return json;
    if (Date.now() > end) throw new Error(`test ${id} still running`);
    await sleep(100);
  }
}

interface Latest {
  sent: number;
  received: number;
  loss_pct: number;
}

/** Waits for the monitor's latest point to satisfy `ok`. */
async function monitorPoint(s: Server, ok: (p: Latest) => boolean) {
  const end = Date.now() + 15_000;
  let last: Latest | null = null;
  while (Date.now() < end) {
    const { json } = await call(s, VIEWER, "/api/monitors/lab-watch");
    last = json.latest ?? json.status?.latest ?? null;
    if (last && ok(last)) return last;
    await sleep(200);
  }
  throw new Error(`monitor point never matched; last ${JSON.stringify(last)}`);
}

async function probes(s: Server, id: string) {
  const out: { target: string; index: number; status: string }[] = [];
  let cursor = "";
  for (let i = 0; i < 100; i++) {
    const { json } = await call(
      s,
      VIEWER,
      `/api/tests/${id}/samples?limit=10000&cursor=${cursor}`,
    );
    out.push(...json.probes);
    if (!json.has_more) break;
    cursor = json.next_cursor;
  }
  return out;
}

/** Every index 0..count-1 exactly once for the target. */
function exactlyOnce(
  all: { target: string; index: number; status: string }[],
  target: string,
  count: number,
) {
  const mine = all.filter((p) =>
    p.target === target && p.status !== "duplicate"
  );
  const idx = mine.map((p) => p.index).sort((a, b) => a - b);
  assert.deepEqual(idx, [...Array(count).keys()], `${target}: ${idx.length}`);
}

Deno.test("agents: remote site, two sites side by side, cut connection, roles, interruption", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "pla-agent-" });
  const agentDir = await Deno.makeTempDir({ prefix: "pla-agent-a-" });
  const { token: AGENT, line } = await agentToken("lab", "lab");
  const server = await startServer({ dir, config: await config(line) });
  const proxy = startTcpProxy(server.port);
  const launch = () =>
    startAgent({
      server: `http://127.0.0.1:${proxy.port}`,
      site: "lab",
      name: "lab-1",
      token: AGENT,
      dir: agentDir,
      buffer: true,
    });
  let agent = launch();
  try {
    await agent.waitFor("serving site lab");
    // Online once its first poll is in.
    for (let i = 0; i < 100; i++) {
      const { json } = await call(server, VIEWER, "/api/agents");
      if (json.agents?.some((a: { online: boolean }) => a.online)) break;
      await sleep(50);
    }

    await t.step("a test on a site: lab server runs on the agent", async () => {
      const { status, json } = await call(server, OPERATOR, "/api/tests", {
        targets: ["lo-lab"],
        count: 30,
        interval_ms: 10,
        timeout_ms: 500,
      });
      assert.equal(status, 201, JSON.stringify(json));
      assert.deepEqual(
        json.targets.map((x: { id: string; site?: string }) => [x.id, x.site]),
        [["lo-lab@lab", "lab"]],
      );
      const meta = await waitEnd(server, json.id, 20_000);
      assert.equal(meta.status, "completed", JSON.stringify(meta));
      exactlyOnce(await probes(server, json.id), "lo-lab@lab", 30);
      assert.equal(meta.summary[0].sent, 30);
      assert.equal(meta.summary[0].received, 30);
      assert.match(agent.output(), new RegExp(`run ${json.id}\\.lab`));
    });

    await t.step("one target from two sites side by side", async () => {
      const { status, json } = await call(server, OPERATOR, "/api/tests", {
        targets: ["lo"],
        sites: ["lab", "local"],
        count: 20,
        interval_ms: 10,
        timeout_ms: 500,
      });
      assert.equal(status, 201, JSON.stringify(json));
      const meta = await waitEnd(server, json.id, 20_000);
      assert.equal(meta.status, "completed");
      const all = await probes(server, json.id);
      exactlyOnce(all, "lo@lab", 20);
      exactlyOnce(all, "lo", 20);
      assert.deepEqual(
        meta.summary.map((
          r: { target: string; sent: number },
        ) => [r.target, r.sent]),
        [["lo@lab", 20], ["lo", 20]],
      );
    });

    await t.step("bad requests change nothing", async () => {
      const unknown = await call(server, OPERATOR, "/api/tests", {
        targets: ["lo"],
        sites: ["mars"],
        count: 1,
      });
      assert.equal(unknown.status, 422);
      assert.match(unknown.json.detail, /sites\.0: unknown site "mars"/);
      const path = await call(server, OPERATOR, "/api/tests", {
        targets: ["lo-lab"],
        count: 1,
        mode: "path",
      });
      assert.equal(path.status, 422);
      assert.match(path.json.detail, /path tests run from the service only/);
    });

    await t.step(
      "an agent token may only be an agent; a viewer cannot poll",
      async () => {
        assert.equal((await call(server, AGENT, "/api/tests")).status, 403);
        assert.equal(
          (await call(server, AGENT, "/api/tests", {
            targets: ["lo"],
            count: 1,
          }))
            .status,
          403,
        );
        assert.equal((await call(server, AGENT, "/api/agents")).status, 403);
        assert.equal((await call(server, AGENT, "/")).status, 403);
        const viewerPoll = await call(server, VIEWER, "/api/agent/poll", {
          agent: "x",
          site: "lab",
          wait_ms: 0,
        });
        assert.equal(viewerPoll.status, 403);
        assert.match(viewerPoll.json.detail, /needs the agent role/);
        const opResults = await call(server, OPERATOR, "/api/agent/results", {
          agent: "x",
          run_key: "k",
          records: [],
        });
        assert.equal(opResults.status, 403);
        const wrongSite = await call(server, AGENT, "/api/agent/poll", {
          agent: "x",
          site: "other",
          wait_ms: 0,
        });
        assert.equal(wrongSite.status, 422);
        const { json } = await call(server, VIEWER, "/api/agents");
        assert.deepEqual(
          json.agents.map((
            a: { name: string; site: string; online: boolean },
          ) => [a.name, a.site, a.online]),
          [["lab-1", "lab", true]],
        );
        const metrics = await (await fetch(`${server.base}/metrics`, {
          headers: { authorization: `Bearer ${VIEWER}` },
        })).text();
        assert.match(metrics, /pla_agent_up\{site="lab",agent="lab-1"\} 1/);
      },
    );

    await t.step("a monitor of a lab server steps on the agent", async () => {
      const p = await monitorPoint(server, (p) => p.received === 5);
      assert.equal(p.sent, 5);
      assert.match(agent.output(), /run monitor-lab-watch\.lab/);
    });

    await t.step(
      "the connection cut mid-test: every probe exactly once",
      async () => {
        const count = 150;
        const { json } = await call(server, OPERATOR, "/api/tests", {
          targets: ["lo-lab"],
          count,
          interval_ms: 20,
          timeout_ms: 500,
        });
        // Cut twice while it runs (3 s), refusing new connections for a while.
        await sleep(700);
        proxy.dropAll(800);
        await sleep(1000);
        proxy.dropAll(300);
        const meta = await waitEnd(server, json.id, 30_000);
        assert.equal(meta.status, "completed", JSON.stringify(meta));
        exactlyOnce(await probes(server, json.id), "lo-lab@lab", count);
        assert.equal(meta.summary[0].sent, count);
        assert.match(agent.output(), /unreachable|retrying/);
      },
    );

    await t.step("a stopped remote test ends stopped", async () => {
      const { json } = await call(server, OPERATOR, "/api/tests", {
        targets: ["lo-lab"],
        count: 10_000,
        interval_ms: 10,
      });
      await sleep(500);
      const stop = await call(
        server,
        OPERATOR,
        `/api/tests/${json.id}/stop`,
        {},
      );
      assert.equal(stop.status, 202);
      const meta = await waitEnd(server, json.id, 10_000);
      assert.equal(meta.status, "stopped");
      const all = await probes(server, json.id);
      assert.ok(all.length > 10 && all.length < 10_000, String(all.length));
    });

    await t.step(
      "agent restarted mid-test: the test ends interrupted at once, data kept",
      async () => {
        const { json } = await call(server, OPERATOR, "/api/tests", {
          targets: ["lo-lab"],
          count: 10_000,
          interval_ms: 10,
        });
        await sleep(600);
        await agent.stop("SIGKILL");
        agent = launch();
        await agent.waitFor("serving site lab");
        const meta = await waitEnd(server, json.id, 5_000);
        assert.equal(meta.status, "interrupted", JSON.stringify(meta));
        assert.match(meta.error, /agent lab-1 lost the run/);
        assert.ok((await probes(server, json.id)).length > 10);
      },
    );

    await t.step(
      "agent killed: the test ends interrupted after the grace, data kept",
      async () => {
        const { json } = await call(server, OPERATOR, "/api/tests", {
          targets: ["lo-lab"],
          count: 10_000,
          interval_ms: 10,
        });
        await sleep(800);
        await agent.stop("SIGKILL");
        const killedAt = Date.now();
        const meta = await waitEnd(server, json.id, 20_000);
        const took = Date.now() - killedAt;
        assert.equal(meta.status, "interrupted", JSON.stringify(meta));
        assert.match(meta.error, /site lab: agent lab-1/);
        assert.ok(
          took >= 4000 && took < 12_000,
          `ended ${took} ms after the kill`,
        );
        assert.ok((await probes(server, json.id)).length > 20);
        const { json: list } = await call(server, VIEWER, "/api/agents");
        assert.equal(list.agents[0].online, false);
        // No agent online: a new test there is refused, nothing started.
        const refused = await call(server, OPERATOR, "/api/tests", {
          targets: ["lo-lab"],
          count: 1,
        });
        assert.equal(refused.status, 503);
        assert.match(refused.json.detail, /no agent online/);
        // The monitor's steps fail while no agent serves the site (alerts can fire).
        const p = await monitorPoint(server, (p) => p.loss_pct === 100);
        assert.equal(p.received, 0);
      },
    );
  } finally {
    await agent.stop("SIGKILL");
    proxy.close();
    await stopServer(server);
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(agentDir, { recursive: true });
  }
});

Deno.test("agent: a refused token exits 2 with the reason", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pla-agent-" });
  const { line } = await agentToken("lab", "lab");
  const server = await startServer({ dir, config: await config(line) });
  try {
    const agent = startAgent({
      server: server.base,
      site: "lab",
      name: "lab-x",
      token: newToken(),
      dir,
    });
    const status = await agent.exited;
    assert.equal(status.code, 2);
    assert.match(agent.output(), /401 .*unknown token.*--token/);
    const viewerAgent = startAgent({
      server: server.base,
      site: "lab",
      name: "lab-y",
      token: VIEWER,
      dir,
    });
    assert.equal((await viewerAgent.exited).code, 2);
    assert.match(viewerAgent.output(), /403 .*agent role/);
  } finally {
    await stopServer(server);
    await Deno.remove(dir, { recursive: true });
  }
});
