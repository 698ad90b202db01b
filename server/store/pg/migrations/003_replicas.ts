// Replicas sharing one database: their heartbeats (a replica not seen for a
// few seconds is dead, and its running tests are interrupted) and leases (a
// monitor is run by the one replica holding its lease).
import type { Migration } from "../migration.ts";

export default {
  version: 3,
  name: "replicas",
  sql: `
create table pla_replicas (
  id text primary key,
  started_at timestamptz not null default now(),
  seen_at timestamptz not null default now(),
  -- probes/s its monitors send: global max_pps counts every replica's
  monitors_pps double precision not null default 0
);
create table pla_leases (
  name text primary key,
  holder text not null,
  expires_at timestamptz not null
);
`,
} satisfies Migration;
