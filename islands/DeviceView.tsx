// Island of /tests/{id} for a device test: its view from the event stream,
// with Stop while it runs.
import type { DeviceSummary } from "../model/device.ts";
import type { DeviceStoreMeta } from "./client/device_store.ts";
import { stopTest } from "./client/api.ts";
import { DeviceLive, useDeviceStore } from "./components/device_live.tsx";

export interface DeviceViewProps {
  meta: DeviceStoreMeta;
  summary: DeviceSummary | null;
  readOnly?: boolean;
}

export default function DeviceView(
  { meta, summary, readOnly = false }: DeviceViewProps,
) {
  const store = useDeviceStore(meta, summary);
  const stop = !readOnly && (
    <button
      type="button"
      class="danger"
      data-testid="stop"
      onClick={async () => {
        const problem = await stopTest(meta.id);
        if (problem) store.error.value = problem.detail;
      }}
    >
      Stop
    </button>
  );
  return <DeviceLive store={store} stop={stop} />;
}
