// Admission of a new test under the limits, then its registration, with no
// other admission in between: in one process nothing awaits between the
// check and the registration's first step; with replicas the check reads every
// replica's running tests under a database lock held until the test is stored.
import type { RunnerCluster } from "../cluster/cluster.ts";
import {
  checkAdmission,
  type Limits,
  type RunningTest,
} from "../policy/limits.ts";

export interface Admission {
  next: Omit<RunningTest, "startedAt">;
  limits: Limits;
  /** This process's running tests and its monitors' probe rate (no cluster). */
  local: () => { running: RunningTest[]; monitorsPps: number };
  /** Stores the test as running; its first step must not await. */
  register: () => Promise<void>;
  cluster?: RunnerCluster;
}

export async function admit(a: Admission): Promise<void> {
  if (a.cluster) {
    await a.cluster.admit(
      (load) =>
        checkAdmission(
          load.running,
          a.next,
          a.limits,
          Date.now(),
          load.monitorsPps,
        ),
      a.register,
    );
    return;
  }
  const { running, monitorsPps } = a.local();
  checkAdmission(running, a.next, a.limits, Date.now(), monitorsPps);
  await a.register();
}
