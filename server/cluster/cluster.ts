// What makes several service processes on one PostgreSQL database one
// service: heartbeats (dead replicas' tests interrupted), global admission,
// live events of tests running elsewhere, stop requests across replicas, and
// monitor leases. Absent with the embedded KV store (one process).
import type { Sql } from "../store/pg/pg_client.ts";
import type { RunStore } from "../store/run_store.ts";
import type { TestHub } from "../events/hub.ts";
import { admitGlobally, type ClusterLoad } from "./global_admission.ts";
import { LeaseKeeper } from "./lease_keeper.ts";
import { ReplicaHeartbeat } from "./replica_heartbeat.ts";
import { StopChannel } from "./stop_channel.ts";
import { TestFollower } from "./test_follower.ts";

/** What the Runner asks of the cluster. */
export interface RunnerCluster {
  /** Runs `check` on every replica's load; when it passes, `register` before anyone else is checked. */
  admit(
    check: (load: ClusterLoad) => void,
    register: () => Promise<void>,
  ): Promise<void>;
  /** A hub with the live events of a test that runs on another replica. */
  follow(id: string, lastStoredId: number): TestHub;
  /** Asks the replica running the test to stop it. */
  requestStop(id: string): Promise<void>;
}

export interface ClusterOptions {
  sql: Sql;
  store: RunStore & {
    markInterruptedOwnedBy(owners: string[]): Promise<string[]>;
  };
  replicaId: string;
  /** Probes per second of the monitors this replica runs. */
  monitorsPps?: () => number;
  heartbeatMs?: number;
  deadAfterMs?: number;
  leaseMs?: number;
}

export class Cluster implements RunnerCluster {
  readonly heartbeat: ReplicaHeartbeat;
  readonly follower: TestFollower;
  readonly stops: StopChannel;
  readonly leases: LeaseKeeper;
  readonly #sql: Sql;
  readonly #deadAfterMs: number;

  constructor(readonly options: ClusterOptions) {
    this.#sql = options.sql;
    this.#deadAfterMs = options.deadAfterMs ?? 5000;
    this.heartbeat = new ReplicaHeartbeat(options.sql, options.replicaId, {
      everyMs: options.heartbeatMs,
      deadAfterMs: this.#deadAfterMs,
      monitorsPps: () => options.monitorsPps?.() ?? 0,
      interruptOwnedBy: async (owners) =>
        (await options.store.markInterruptedOwnedBy(owners)).length,
    });
    this.follower = new TestFollower(options.sql, options.store);
    this.stops = new StopChannel(options.sql);
    this.leases = new LeaseKeeper(
      options.sql,
      options.replicaId,
      options.leaseMs,
    );
  }

  get replicaId(): string {
    return this.options.replicaId;
  }

  /** Registers this replica and starts listening; `onStop` stops a local test another replica was asked to stop. */
  async start(onStop: (testId: string) => void): Promise<void> {
    await this.heartbeat.start();
    await this.follower.start();
    await this.stops.start(onStop);
  }

  admit(
    check: (load: ClusterLoad) => void,
    register: () => Promise<void>,
  ): Promise<void> {
    return admitGlobally(this.#sql, this.#deadAfterMs, check, register);
  }

  follow(id: string, lastStoredId: number): TestHub {
    return this.follower.follow(id, lastStoredId);
  }

  requestStop(id: string): Promise<void> {
    return this.stops.requestStop(id);
  }

  async close(): Promise<void> {
    await this.stops.close();
    await this.follower.close();
    await this.leases.releaseAll().catch(() => {});
    await this.heartbeat.stop();
  }
}
