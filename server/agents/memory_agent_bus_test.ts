import { agentBusSuite } from "../../testing/agent_bus_suite.ts";
import { MemoryAgentBus } from "./memory_agent_bus.ts";

agentBusSuite("memory agent bus", (offlineAfterMs) => {
  const bus = new MemoryAgentBus({ offlineAfterMs });
  return Promise.resolve({ bus, peer: bus, close: () => Promise.resolve() });
});
