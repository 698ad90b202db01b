// Every schema migration, in order. A migration once released never changes:
// a change to the schema is a new entry.
import runs from "./migrations/001_runs.ts";
import monitors from "./migrations/002_monitors.ts";
import replicas from "./migrations/003_replicas.ts";
import agents from "./migrations/004_agents.ts";
import type { Migration } from "./migration.ts";

// Migration modules import the type from migration.ts (importing it from here
// would make an import cycle).
export type { Migration } from "./migration.ts";

export const MIGRATIONS: readonly Migration[] = [
  runs,
  monitors,
  replicas,
  agents,
];
