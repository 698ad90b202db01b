// Two probe agents, each in its own network namespace, each probing a host
// that only its namespace can reach (198.18.0.0/15 test-bed addresses): both
// results in one test, while the service itself cannot reach either host.
import assert from "node:assert/strict";
import { gate } from "../testing/gate.ts";
import { bedUnavailableReason } from "../testing/testbed/testbed.ts";
import {
  type AgentSite,
  createAgentSite,
} from "../testing/testbed/agent_bed.ts";
import {
  allSamples,
  postTest,
  sleep,
  startServer,
  stopServer,
  waitForTestEnd,
} from "../testing/server_process.ts";
import { startTcpProxy, type TcpProxy } from "../testing/tcp_proxy.ts";
import { type AgentProcess, startAgent } from "../testing/agent_process.ts";

const ignore = gate(
  "agent namespaces",
  await bedUnavailableReason(
    [["ip", ["-V"], "iproute2"]],
    () => Promise.resolve(null),
  ),
);

Deno.test({
  name:
    "two agents in two namespaces probe hosts only they can reach, in one test",
  ignore,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "pla-agent-ns-" });
    const sites: AgentSite[] = [];
    const proxies: TcpProxy[] = [];
    const agents: AgentProcess[] = [];
    let server;
    try {
      sites.push(await createAgentSite(), await createAgentSite());
      const [a, b] = sites;
      server = await startServer({
        dir,
        config: `servers:
  - { id: host-a, name: Host A, host: ${a.hostAddress}, site: east }
  - { id: host-b, name: Host B, host: ${b.hostAddress}, site: west }
agents: { offline_after_s: 2, grace_s: 5 }
`,
      });
      for (const [site, name] of [[a, "east"], [b, "west"]] as const) {
        // The service listens on loopback; each namespace reaches it through
        // a forwarder on the root end of its link.
        const proxy = startTcpProxy(server.port, {
          hostname: site.serviceAddress,
        });
        proxies.push(proxy);
        const agent = startAgent({
          server: `http://${site.serviceAddress}:${proxy.port}`,
          site: name,
          name: `agent-${name}`,
          dir,
          wrap: (cmd) => ["ip", "netns", "exec", site.agentNs, ...cmd],
        });
        agents.push(agent);
        await agent.waitFor("serving site");
      }
      for (let i = 0; i < 100; i++) {
        const list = await (await fetch(`${server.base}/api/agents`)).json();
        if (
          list.agents.filter((x: { online: boolean }) => x.online).length === 2
        ) break;
        await sleep(50);
      }
      const count = 20;
      const id = await postTest(server.base, {
        targets: ["host-a", "host-b"],
        count,
        interval_ms: 20,
        timeout_ms: 500,
      });
      const meta = await waitForTestEnd(server.base, id, 20_000);
      assert.equal(meta.status, "completed", JSON.stringify(meta));
      const probes = await allSamples(server.base, id);
      for (const target of ["host-a@east", "host-b@west"]) {
        const ok = probes.filter((p) =>
          p.target === target && p.status === "ok"
        );
        assert.deepEqual(
          ok.map((p) => p.index).sort((x, y) => x - y),
          [...Array(count).keys()],
          target,
        );
      }
      // The same hosts from the service itself: unreachable.
      const local = await postTest(server.base, {
        targets: ["host-a", "host-b"],
        sites: ["local"],
        count: 3,
        interval_ms: 20,
        timeout_ms: 200,
      });
      await waitForTestEnd(server.base, local, 10_000);
      const from = await allSamples(server.base, local);
      assert.equal(from.filter((p) => p.status === "ok").length, 0);
    } finally {
      for (const agent of agents) await agent.stop("SIGKILL");
      for (const p of proxies) p.close();
      if (server) await stopServer(server);
      for (const s of sites) await s.destroy();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
