// Limits across replicas: concurrent tests, tests per user and the probe rate
// are checked against every replica's running tests, read from the shared
// database under one advisory lock that is held until the new test's row is
// committed, so two replicas admitting at once see each other (race-free).
import type { Sql } from "../store/pg/pg_client.ts";
import type { RunningTest } from "../policy/limits.ts";
import type { TestMeta } from "../../model/run.ts";

/** Any number; the same in every replica. */
const ADMISSION_LOCK = 0x706c6101;

/** What a replica tells the admission check: every running test and every replica's monitor rate. */
export interface ClusterLoad {
  running: RunningTest[];
  monitorsPps: number;
}

/**
 * Runs `check` on the cluster's load and, when it passes, `register` (which
 * stores the new test as running) before anyone else may check.
 */
export async function admitGlobally(
  sql: Sql,
  deadAfterMs: number,
  check: (load: ClusterLoad) => void,
  register: () => Promise<void>,
): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${ADMISSION_LOCK})`;
    const rows = await tx<{ meta: TestMeta }[]>`
      select meta from pla_tests where status = 'running'`;
    const [{ pps }] = await tx<{ pps: number }[]>`
      select coalesce(sum(monitors_pps), 0)::float8 as pps from pla_replicas
      where seen_at >= now() - make_interval(secs => ${deadAfterMs / 1000})`;
    check({
      running: rows.map(({ meta }) => ({
        who: meta.created_by ?? "anonymous",
        targets: meta.targets.length,
        settings: meta.settings,
        startedAt: Date.parse(meta.created_at),
      })),
      monitorsPps: pps,
    });
    // Committed on another connection while the lock is held.
    await register();
  });
}
