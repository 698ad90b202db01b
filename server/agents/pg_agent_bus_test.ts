// The bus suite on PostgreSQL, with two buses on one database standing for
// two replicas: the run is assigned (and its sink held) by one, the agent
// polls and reports through the other.
import { agentBusSuite } from "../../testing/agent_bus_suite.ts";
import { gate } from "../../testing/gate.ts";
import {
  type PgCluster,
  postgresUnavailableReason,
  startPostgres,
} from "../../testing/postgres.ts";
import { openPg, type Sql } from "../store/pg/pg_client.ts";
import { PgAgentBus } from "./pg_agent_bus.ts";

const ignore = gate("PostgreSQL agent bus", postgresUnavailableReason());

let cluster: PgCluster | null = null;
let n = 0;

agentBusSuite("pg agent bus", async (offlineAfterMs) => {
  cluster ??= await startPostgres();
  const url = await cluster.createDatabase(`agents${n++}`);
  const sqlA: Sql = await openPg(url);
  const sqlB: Sql = await openPg(url);
  const bus = await PgAgentBus.open(sqlA, {
    offlineAfterMs,
    drainEveryMs: 200,
  });
  const peer = await PgAgentBus.open(sqlB, {
    offlineAfterMs,
    drainEveryMs: 200,
  });
  return {
    bus,
    peer,
    async close() {
      await bus.shutdown();
      await peer.shutdown();
      await sqlA.end({ timeout: 1 });
      await sqlB.end({ timeout: 1 });
    },
  };
}, ignore);

Deno.test({
  name: "pg agent bus: stop the throw-away cluster",
  ignore,
  sanitizeResources: false,
  async fn() {
    await cluster?.stop();
  },
});
