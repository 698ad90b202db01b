// Tests left `running` by a replica that is gone become `interrupted`: the
// record and its listing rows change, and the event log gets `status` and
// `end` after its last event (so replays end), all in one transaction, with
// the `pla_events` notification for the new events. Rows are locked with
// SKIP LOCKED: two replicas sweeping at once interrupt each test once.
import type { TestMeta } from "../../../model/run.ts";
import type { StoredEvent } from "../run_store.ts";
import type { Sql } from "./pg_client.ts";

/** A replica whose heartbeat (pla_replicas.seen_at) is older than this is gone. */
export const REPLICA_ALIVE_MS = 10_000;

/** The channel every event write notifies, payload `<testId>:<lastEventId>`. */
export const EVENTS_CHANNEL = "pla_events";

type Which =
  | { dead: true; self: string; except: string[] }
  | { owners: string[] };

async function interrupt(sql: Sql, which: Which): Promise<string[]> {
  const now = new Date().toISOString();
  return await sql.begin(async (tx) => {
    const cond = "owners" in which
      ? tx`owner = any(${which.owners}::text[])`
      : tx`(owner is null or owner = ${which.self} or not exists (
          select 1 from pla_replicas r where r.id = owner
            and r.seen_at > now() - ${`${REPLICA_ALIVE_MS} milliseconds`}::interval
        )) and not (id = any(${which.except}::text[]))`;
    const rows = await tx<{ id: string; meta: string }[]>`
      select id, meta::text from pla_tests where status = 'running' and ${cond}
      for update skip locked`;
    for (const row of rows) {
      const { id } = row;
      const meta = JSON.parse(row.meta) as TestMeta;
      const next: TestMeta = {
        ...meta,
        status: "interrupted",
        finished_at: meta.finished_at ?? now,
      };
      await tx`update pla_tests set status = 'interrupted', owner = null,
        finished_at = ${next.finished_at}, meta = ${
        JSON.stringify(next)
      }::text::json
        where id = ${id}`;
      await tx`update pla_test_targets set status = 'interrupted'
        where test_id = ${id}`;
      const [last] = await tx<{ id: number; type: string }[]>`
        select id, type from pla_events where test_id = ${id}
        order by id desc limit 1`;
      if (last?.type === "end") continue;
      const first = (last?.id ?? 0) + 1;
      const tail: StoredEvent[] = [
        { id: first, type: "status", data: { id, status: "interrupted" } },
        { id: first + 1, type: "end", data: { id, status: "interrupted" } },
      ];
      for (const ev of tail) {
        await tx`insert into pla_events (test_id, id, type, body)
          values (${id}, ${ev.id}, ${ev.type}, ${JSON.stringify(ev)})
          on conflict do nothing`;
      }
      await tx`select pg_notify(${EVENTS_CHANNEL}, ${`${id}:${first + 1}`})`;
    }
    return rows.map((r) => r.id);
  });
}

/**
 * Interrupts the running tests of replicas not seen within REPLICA_ALIVE_MS,
 * of none, or of `self` (a restart under the same replica id), except the
 * tests in `except` (those this process runs); returns their ids.
 */
export function markInterruptedDead(
  sql: Sql,
  self: string,
  except: string[] = [],
): Promise<string[]> {
  return interrupt(sql, { dead: true, self, except });
}

/** Interrupts the running tests of these replicas (the replica sweeper); returns their ids. */
export function markInterruptedOwnedBy(
  sql: Sql,
  owners: string[],
): Promise<string[]> {
  return owners.length ? interrupt(sql, { owners }) : Promise.resolve([]);
}
