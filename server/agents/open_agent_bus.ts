// The service's AgentBus: in memory for one process, or on the PostgreSQL
// pool when the service runs on one (replicas share the agents' state).
import type { Config } from "../config/config.ts";
import type { Sql } from "../store/pg/pg_client.ts";
import type { AgentBus } from "./agent_bus.ts";
import { MemoryAgentBus } from "./memory_agent_bus.ts";
import { PgAgentBus } from "./pg_agent_bus.ts";

export interface OpenedAgentBus {
  bus: AgentBus;
  /** Stops listening (PostgreSQL); call before the pool ends. */
  shutdown(): Promise<void>;
}

export async function openAgentBus(
  config: Config,
  sql?: Sql,
): Promise<OpenedAgentBus> {
  const offlineAfterMs = config.agents.offline_after_s * 1000;
  if (!sql) {
    return {
      bus: new MemoryAgentBus({ offlineAfterMs }),
      shutdown: () => Promise.resolve(),
    };
  }
  const bus = await PgAgentBus.open(sql, { offlineAfterMs });
  return { bus, shutdown: () => bus.shutdown() };
}
