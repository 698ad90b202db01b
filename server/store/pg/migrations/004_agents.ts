// Probe agents shared by replicas: the agents' last contact, the runs queued
// for a site (claimed by one agent, acknowledged up to a seq), and each run's
// inbox keyed (run_key, seq), so a resent record is inserted at most once.
// The replica owning a run (its RemoteRun) reads the inbox on NOTIFY
// pla_agent_inbox; polls wake on NOTIFY pla_agent_work.
import type { Migration } from "../migration.ts";

export default {
  version: 4,
  name: "agents",
  sql: `
create table pla_agents (
  name text primary key,
  site text not null,
  version text not null default '',
  seen_at timestamptz not null default now()
);
create index pla_agents_site on pla_agents (site, seen_at);
create table pla_agent_runs (
  run_key text primary key,
  site text not null,
  assignment jsonb not null,
  claimed_by text,
  started boolean not null default false,
  acked bigint not null default 0,
  cancelled boolean not null default false,
  closed boolean not null default false,
  done jsonb,
  created_at timestamptz not null default now()
);
create index pla_agent_runs_site on pla_agent_runs (site) where not closed;
create table pla_agent_inbox (
  run_key text not null references pla_agent_runs on delete cascade,
  seq bigint not null,
  record jsonb not null,
  primary key (run_key, seq)
);
`,
} satisfies Migration;
