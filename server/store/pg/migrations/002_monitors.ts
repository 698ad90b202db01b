// Monitors (points per resolution, gaps, path hops, API specs) and their
// alerts (rule states, events, pending webhooks, delivery attempts). Times
// are ms since the epoch (bigint), as in the model. PostgreSQL has no expiry:
// rows that expire carry `expires_at` (ms); reads skip expired rows and the
// store deletes them in bounded batches (pg_monitor_store.ts purgeExpired).
// Ids and names are `collate "C"` so they sort as the KV store's keys do.
import type { Migration } from "../migration.ts";

export default {
  version: 2,
  name: "monitors",
  sql: `
create table pla_monitor_points (
  monitor text collate "C" not null,
  res text not null check (res in ('step', 'hour', 'day')),
  t bigint not null,
  point bytea not null,              -- point_codec.ts encoding
  expires_at bigint not null,
  primary key (monitor, res, t)
);
create index pla_monitor_points_expiry on pla_monitor_points (expires_at);
create table pla_monitor_gaps (
  monitor text collate "C" not null,
  from_t bigint not null,
  to_t bigint not null,
  expires_at bigint not null,
  primary key (monitor, from_t)
);
create index pla_monitor_gaps_expiry on pla_monitor_gaps (expires_at);
create table pla_monitor_hops (
  monitor text collate "C" not null,
  t bigint not null,
  hops jsonb not null,
  expires_at bigint not null,
  primary key (monitor, t)
);
create index pla_monitor_hops_expiry on pla_monitor_hops (expires_at);
create table pla_monitor_specs (
  id text collate "C" primary key,
  spec jsonb not null
);
create table pla_alert_states (
  monitor text collate "C" not null,
  rule text collate "C" not null,
  state jsonb not null,
  primary key (monitor, rule)
);
-- body is the event as JSON text (json keeps its keys' order for the API).
create table pla_alert_events (
  id text collate "C" primary key,   -- time-sortable (alert_store.ts)
  monitor text collate "C" not null,
  state text not null,
  body json not null
);
create index pla_alert_events_by_monitor on pla_alert_events (monitor, id);
create index pla_alert_events_by_state on pla_alert_events (state, id);
create index pla_alert_events_by_monitor_state on pla_alert_events (monitor, state, id);
-- A pending webhook is sent by the replica claiming it (claimed_by, until
-- claimed_until, database time); unclaimed or expired ones are taken over.
create table pla_alert_pending (
  event_id text collate "C" not null,
  notify text collate "C" not null,
  body json not null,
  claimed_by text,
  claimed_until timestamptz,
  primary key (event_id, notify)
);
create table pla_alert_deliveries (
  event_id text collate "C" not null,
  notify text collate "C" not null,
  attempt integer not null,
  body json not null,
  primary key (event_id, notify, attempt)
);
`,
} satisfies Migration;
