// The probe agents on the dashboard: site, name, online or not, last contact.
// Server-rendered; reloading the page refreshes it.
import type { AgentInfo } from "../../model/agent.ts";

export function AgentTable({ agents }: { agents: AgentInfo[] }) {
  return (
    <div class="table-wrap">
      <table class="history stack" data-testid="agents">
        <caption>Probe agents</caption>
        <thead>
          <tr>
            <th scope="col">Site</th>
            <th scope="col">Agent</th>
            <th scope="col">State</th>
            <th scope="col">Last seen</th>
          </tr>
        </thead>
        <tbody>
          {agents.map((a) => (
            <tr key={a.name}>
              <td data-label="Site">{a.site}</td>
              <td data-label="Agent">{a.name}</td>
              <td data-label="State">{a.online ? "online" : "offline"}</td>
              <td data-label="Last seen">
                <time datetime={a.last_seen}>
                  {a.last_seen.slice(0, 19).replace("T", " ")} UTC
                </time>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
