// Island of /tests/{id}: the live (or replayed) view of one test, with Stop.
import { useSignal } from "@preact/signals";
import type { LatestTls } from "../model/probe.ts";
import type { TargetReport, TestMeta } from "../model/run.ts";
import { TestLive, useLiveStore } from "./components/test_live.tsx";
import { stopTest } from "./client/api.ts";
import { FinishedCards } from "./components/test_finished.tsx";

export interface TestViewProps {
  meta: TestMeta;
  reports: TargetReport[] | null;
  /** The signed-in role may not stop tests (viewer). */
  readOnly?: boolean;
  /** A finished tls test: each target's last handshake (no replay brings it). */
  tls?: (LatestTls | null)[];
}

export default function TestView(
  { meta, reports, readOnly = false, tls }: TestViewProps,
) {
  // A finished ping test draws its downsampled series; a running one (or a
  // path test) follows its event stream.
  const finished = meta.status !== "running" && meta.settings.mode !== "path";
  const store = useLiveStore(meta, reports, !finished, tls);
  const stopping = useSignal(false);
  const stop = store.running && !readOnly && (
    <button
      type="button"
      class="danger"
      data-testid="stop"
      disabled={stopping.value}
      onClick={async () => {
        stopping.value = true;
        const problem = await stopTest(meta.id);
        if (problem) store.error.value = problem.detail;
      }}
    >
      Stop
    </button>
  );
  return (
    <TestLive
      store={store}
      stop={stop}
      charts={finished ? <FinishedCards meta={meta} tls={tls} /> : undefined}
    />
  );
}
