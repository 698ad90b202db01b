// Island of /device ("Test this device"): settings and presets, Start, then
// the live view of the test this browser runs against the server.
import { useSignal } from "@preact/signals";
import { DEVICE_PRESETS, presetById } from "../model/device_presets.ts";
import type { DeviceSummary } from "../model/device.ts";
import { startDeviceTest } from "./client/device_rtc.ts";
import type { DeviceStoreMeta } from "./client/device_store.ts";
import { DeviceLive, useDeviceStore } from "./components/device_live.tsx";

export interface DeviceTestProps {
  /** The signed-in role may not run device tests. */
  readOnly?: boolean;
}

const FIELDS = [
  ["size", "Packet size (bytes)", 16, 1200, 1],
  ["rate", "Rate (packets/s)", 1, 300, 1],
  ["duration_s", "Duration (s)", 1, 180, 1],
  ["delay_ms", "Acceptable delay (ms)", 1, 1000, 1],
  ["warmup_s", "Warm-up (s)", 0, 10, 1],
] as const;
type Field = typeof FIELDS[number][0];

function Running({ meta, stop }: { meta: DeviceStoreMeta; stop: () => void }) {
  const store = useDeviceStore(meta, null as DeviceSummary | null);
  return (
    <DeviceLive
      store={store}
      stop={
        <button
          type="button"
          class="danger"
          data-testid="stop"
          onClick={stop}
        >
          Stop
        </button>
      }
    />
  );
}

export default function DeviceTest({ readOnly = false }: DeviceTestProps) {
  const voip = presetById("voip")!;
  const preset = useSignal("voip");
  const values = useSignal<Record<Field, number>>({
    size: voip.size,
    rate: voip.rate,
    duration_s: voip.duration_s,
    delay_ms: voip.delay_ms,
    warmup_s: 0,
  });
  const error = useSignal<{ field?: string; detail: string } | null>(null);
  const busy = useSignal(false);
  const running = useSignal<{ meta: DeviceStoreMeta; stop: () => void } | null>(
    null,
  );

  const choose = (id: string) => {
    preset.value = id;
    const p = presetById(id);
    if (p) {
      values.value = {
        ...values.value,
        size: p.size,
        rate: p.rate,
        duration_s: p.duration_s,
        delay_ms: p.delay_ms,
      };
    }
  };
  const start = async (e: Event) => {
    e.preventDefault();
    error.value = null;
    busy.value = true;
    const r = await startDeviceTest({ preset: preset.value, ...values.value });
    busy.value = false;
    if (!("id" in r)) {
      error.value = { field: r.field, detail: r.detail };
      return;
    }
    const s = r.settings;
    running.value = {
      meta: {
        id: r.id,
        status: "running",
        count: Math.ceil(s.rate * s.duration_s),
      },
      stop: r.stop,
    };
  };
  // The API's own message beside the field at fault (the form does not
  // validate: one set of rules, the server's).
  const at = (f: string) =>
    error.value && error.value.field === f
      ? (
        <p class="field-error" id={`err-${f}`} role="alert">
          {error.value.detail}
        </p>
      )
      : null;
  const invalid = (f: string) =>
    error.value?.field === f
      ? { "aria-invalid": true, "aria-describedby": `err-${f}` }
      : {};
  return (
    <div class="device-test">
      <form
        class="panel setup"
        noValidate
        onSubmit={start}
        data-testid="device-form"
      >
        <label>
          Preset
          <select
            name="preset"
            value={preset.value}
            onChange={(e) => choose((e.target as HTMLSelectElement).value)}
          >
            {DEVICE_PRESETS.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name} ({p.size} B at {p.rate}/s; pass: loss ≤{" "}
                {p.max_loss_pct}%, p95 ≤ {p.max_p95_rtt_ms} ms, jitter ≤{" "}
                {p.max_jitter_ms} ms)
              </option>
            ))}
          </select>
        </label>
        {FIELDS.map(([f, label, min, max, step]) => (
          <label key={f}>
            {label}
            <input
              type="number"
              name={f}
              min={min}
              max={max}
              step={step}
              value={values.value[f]}
              {...invalid(f)}
              onInput={(e) => {
                values.value = {
                  ...values.value,
                  [f]: Number((e.target as HTMLInputElement).value),
                };
              }}
            />
            {at(f)}
          </label>
        ))}
        <button
          type="submit"
          data-testid="device-start"
          disabled={readOnly || busy.value}
        >
          {busy.value ? "Connecting…" : "Start"}
        </button>
        {readOnly && (
          <p class="muted">Your role may not run device tests here.</p>
        )}
        {error.value && !FIELDS.some(([f]) => f === error.value!.field) && (
          <p class="error" role="alert" data-testid="device-error">
            {error.value.detail}
          </p>
        )}
      </form>
      {running.value && (
        <Running
          key={running.value.meta.id}
          meta={running.value.meta}
          stop={running.value.stop}
        />
      )}
    </div>
  );
}
