// Tests, their event logs, the audit trail and sign-in sessions.
import type { Migration } from "../migration.ts";

export default {
  version: 1,
  name: "runs",
  sql: `
-- Texts compared in listings and cursors sort bytewise (collate "C"), as the
-- KV store's keys do, whatever the database's locale. Records are json (not
-- jsonb): read back exactly as written, key order included.
create table pla_tests (
  id text collate "C" primary key,
  created_at text collate "C" not null, -- ISO time exactly as in the metadata (sorts as time)
  status text not null,
  created_by text,
  finished_at text collate "C",
  owner text,                        -- replica running it while status = 'running'
  meta json not null,
  summary json,
  paths json
);
create index pla_tests_by_time on pla_tests (created_at desc, id desc);
create index pla_tests_by_status on pla_tests (status, created_at desc, id desc);
create index pla_tests_running_owner on pla_tests (owner) where status = 'running';
create table pla_test_targets (
  test_id text collate "C" not null references pla_tests (id) on delete cascade,
  target text collate "C" not null,
  created_at text collate "C" not null,
  status text not null,
  primary key (test_id, target)
);
create index pla_test_targets_by_time on pla_test_targets (target, created_at desc, test_id desc);
create index pla_test_targets_by_status on pla_test_targets (target, status, created_at desc, test_id desc);
-- One row per event, as the live stream sent it: replay and Last-Event-ID
-- resume are range reads of the primary key. body is the event's JSON text.
create table pla_events (
  test_id text collate "C" not null references pla_tests (id) on delete cascade,
  id integer not null,
  type text not null,
  body text not null,
  primary key (test_id, id)
);
create table pla_audit (
  key text collate "C" primary key,  -- sortable by time, as the KV trail's key
  at timestamptz not null,
  entry json not null
);
create table pla_sessions (
  id text primary key,
  principal json not null,
  expires_at bigint not null
);
create index pla_sessions_expiry on pla_sessions (expires_at);
`,
} satisfies Migration;
