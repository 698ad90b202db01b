// Island of /tests/{id}: the live (or replayed) view of one test, with Stop.
import { useSignal } from "@preact/signals";
import type { TargetReport, TestMeta } from "../model/run.ts";
import { TestLive, useLiveStore } from "./components/test_live.tsx";
import { stopTest } from "./client/api.ts";

export interface TestViewProps {
  meta: TestMeta;
  reports: TargetReport[] | null;
  /** The signed-in role may not stop tests (viewer). */
  readOnly?: boolean;
}

export default function TestView(
  { meta, reports, readOnly = false }: TestViewProps,
) {
  const store = useLiveStore(meta, reports);
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
  return <TestLive store={store} stop={stop} />;
}
