// A device test's live (or replayed) view: status, charts and the result
// table, all from its event stream.
import type { ComponentChildren } from "preact";
import { useEffect, useMemo } from "preact/hooks";
import type { DeviceSummary } from "../../model/device.ts";
import { DeviceStore, type DeviceStoreMeta } from "../client/device_store.ts";
import { followEvents } from "../client/follow_events.ts";
import { DeviceChart } from "./device_chart.tsx";
import { DeviceSummaryTable } from "./device_summary.tsx";

export function useDeviceStore(
  meta: DeviceStoreMeta,
  summary: DeviceSummary | null,
): DeviceStore {
  const store = useMemo(() => new DeviceStore(meta, summary), [meta.id]);
  useEffect(() => followEvents(store), [store]);
  return store;
}

export function DeviceLive(
  { store, stop }: { store: DeviceStore; stop?: ComponentChildren },
) {
  return (
    <section class="device-live" data-testid="device-live">
      <p class="status-line">
        <span
          data-testid="device-status"
          class={`status ${store.status.value}`}
        >
          {store.status}
        </span>{" "}
        <a href={`/tests/${store.meta.id}`} data-testid="device-link">
          test {store.meta.id}
        </a>{" "}
        {store.running && stop}
      </p>
      {store.error.value && (
        <p class="error" role="alert" data-testid="device-error">
          {store.error}
        </p>
      )}
      <DeviceSummaryTable s={store.summary.value} />
      <DeviceChart
        store={store}
        kind="rtt"
        label="RTT per packet; lost on the way up (top) and down (below it)"
      />
      <DeviceChart
        store={store}
        kind="quality"
        label="Loss and jitter per second, by direction"
      />
    </section>
  );
}
