// GET /device ("Test this device") and a device test's /tests/{id}: both on
// the device bundle (WebRTC, the device charts).
import type { TestMeta } from "../model/run.ts";
import DeviceTest from "../islands/DeviceTest.tsx";
import DeviceView from "../islands/DeviceView.tsx";
import { fmtTime } from "../islands/components/format.ts";
import { Island } from "./island.tsx";
import type { Page } from "./layout.tsx";

export function devicePage(readOnly: boolean): Page {
  return {
    title: "Test this device",
    nav: "device",
    script: "device.js",
    body: (
      <>
        <div class="page-title">
          <h1>Test this device</h1>
          <p class="muted">
            Packet loss, RTT and jitter between this device and the analyzer, in
            both directions, over a WebRTC data channel that behaves like UDP
            (no retransmissions). Needs JavaScript and WebRTC.
          </p>
        </div>
        <Island
          name="DeviceTest"
          component={DeviceTest}
          props={{ readOnly }}
        />
      </>
    ),
  };
}

export function deviceTestPage(
  meta: TestMeta,
  url: string,
  readOnly: boolean,
): Page {
  const d = meta.device!;
  return {
    title: `Device test ${meta.id}`,
    nav: null,
    script: "device.js",
    body: (
      <>
        <div class="page-title">
          <h1>Device {d.client_address}</h1>
          <p class="muted" data-testid="device-client">
            {d.client} · {d.settings.size} B at {d.settings.rate}/s for{" "}
            {d.settings.duration_s} s, acceptable delay {d.settings.delay_ms}
            {" "}
            ms · started {fmtTime(meta.created_at)}
          </p>
          <p class="no-print">
            <a href="/tests">← All tests</a> ·{" "}
            <a href={`/api/tests/${meta.id}/export?format=csv`}>Export CSV</a> ·
            {" "}
            <a href={`/api/tests/${meta.id}/export?format=json`}>JSON</a>
          </p>
        </div>
        <div class="print-only">
          <p>packet-loss-analyzer report · {url}</p>
        </div>
        <Island
          name="DeviceView"
          component={DeviceView}
          props={{
            meta: {
              id: meta.id,
              status: meta.status,
              count: Math.ceil(d.settings.rate * d.settings.duration_s),
              ...(meta.error ? { error: meta.error } : {}),
            },
            summary: d.summary,
            readOnly,
          }}
        />
      </>
    ),
  };
}
