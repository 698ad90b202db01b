// Two service replicas on one PostgreSQL database: the agent polls and
// reports through replica B only, the test is started on (and owned by)
// replica A; every probe reaches A's test exactly once, and both replicas
// list the agent online.
import assert from "node:assert/strict";
import { gate } from "../testing/gate.ts";
import {
  type PgCluster,
  postgresUnavailableReason,
  startPostgres,
} from "../testing/postgres.ts";
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
import { type AgentProcess, startAgent } from "../testing/agent_process.ts";

const ignore = gate("agent replicas", postgresUnavailableReason());

const CONFIG = `servers:
  - { id: lo-lab, name: Loopback at lab, host: 127.0.0.1, site: lab }
agents: { offline_after_s: 2, grace_s: 4 }
`;

Deno.test({
  name: "agents and replicas: an agent on replica B serves a test of replica A",
  ignore,
  async fn() {
    let cluster: PgCluster | null = null;
    const servers: Server[] = [];
    const dirs: string[] = [];
    let agent: AgentProcess | null = null;
    try {
      cluster = await startPostgres();
      const url = cluster.url;
      for (let i = 0; i < 2; i++) {
        const dir = await Deno.makeTempDir({ prefix: `pla-replica-${i}-` });
        dirs.push(dir);
        servers.push(
          await startServer({
            dir,
            config: CONFIG,
            wrap: (cmd) => ["env", `PLA_DATABASE_URL=${url}`, ...cmd],
          }),
        );
      }
      const [a, b] = servers;
      agent = startAgent({
        server: b.base,
        site: "lab",
        name: "lab-r",
        dir: dirs[1],
      });
      await agent.waitFor("serving site lab");
      for (let i = 0; i < 100; i++) {
        const list = await getJson(`${a.base}/api/agents`);
        if ((list.agents as { online: boolean }[]).some((x) => x.online)) break;
        await sleep(50);
      }
      const count = 100;
      const id = await postTest(a.base, {
        targets: ["lo-lab"],
        count,
        interval_ms: 10,
        timeout_ms: 500,
      });
      const meta = await waitForTestEnd(a.base, id, 20_000);
      assert.equal(meta.status, "completed", JSON.stringify(meta));
      const probes = await allSamples(a.base, id);
      assert.deepEqual(
        probes.map((p) => p.index).sort((x, y) => x - y),
        [...Array(count).keys()],
      );
      assert.ok(probes.every((p) => p.target === "lo-lab@lab"));
      for (const s of servers) {
        const list = await getJson(`${s.base}/api/agents`);
        assert.deepEqual(
          (list.agents as { name: string; online: boolean }[]).map((
            x,
          ) => [x.name, x.online]),
          [["lab-r", true]],
          s.base,
        );
      }
    } finally {
      await agent?.stop("SIGKILL");
      for (const s of servers) await stopServer(s);
      await cluster?.stop();
      for (const d of dirs) await Deno.remove(d, { recursive: true });
    }
  },
});
