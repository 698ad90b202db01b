// Every schema migration, in order. A migration once released never changes:
// a change to the schema is a new entry.
import runs from "./migrations/001_runs.ts";
import monitors from "./migrations/002_monitors.ts";
import replicas from "./migrations/003_replicas.ts";
import agents from "./migrations/004_agents.ts";

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  runs,
  monitors,
  replicas,
  agents,
];
