// GET /: the dashboard. Without script it still lists every server.
import type { Config } from "../server/config/config.ts";
import { DEFAULT_MAX_HOPS, MAX_HOPS_LIMIT } from "../model/path.ts";
import Dashboard from "../islands/Dashboard.tsx";
import { type HistoryRow, HistoryTable } from "./components/history_table.tsx";
import { Island } from "./island.tsx";
import type { Page } from "./layout.tsx";
import type { AgentInfo } from "../model/agent.ts";
import { AgentTable } from "./components/agent_table.tsx";
import { knownSites } from "../server/agents/site_placement.ts";

export function dashboardPage(
  config: Config,
  recent: HistoryRow[],
  readOnly: boolean,
  /** Probe agents seen (none: the section is left out). */
  agents: AgentInfo[] = [],
): Page {
  return {
    title: "Dashboard",
    nav: "dashboard",
    body: (
      <>
        <div class="page-title">
          <h1>New test</h1>
          <p class="muted">
            Packet loss, round-trip time and jitter to your servers, live.
          </p>
        </div>
        <Island
          name="Dashboard"
          component={Dashboard}
          props={{
            servers: config.servers,
            defaults: config.defaults,
            limits: config.limits,
            path: {
              max_hops: DEFAULT_MAX_HOPS,
              max_hops_limit: MAX_HOPS_LIMIT,
            },
            readOnly,
            sites: [...knownSites(config)],
          }}
        />
        {recent.length > 0 && (
          <section class="recent" aria-label="Recent tests">
            <HistoryTable
              rows={recent}
              caption="Recent tests"
              empty={null}
            />
            <p class="pager">
              <a href="/tests">All tests →</a>
            </p>
          </section>
        )}
        {agents.length > 0 && (
          <section class="recent" aria-label="Probe agents">
            <AgentTable agents={agents} />
          </section>
        )}
      </>
    ),
  };
}
