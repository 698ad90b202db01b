// The monitors' hub: increasing ids, a ring of RING events for resumption; a
// Last-Event-ID older than the ring resumes from the oldest kept, not closed.
import assert from "node:assert/strict";
import { MonitorHub, RING } from "./monitor_hub.ts";
import type { AlertEvent, MonitorPoint } from "../../model/monitor.ts";

const point = { t: 0 } as MonitorPoint;

Deno.test("monitor hub: ids increase; resume within the ring, and from its oldest when further behind", async () => {
  const hub = new MonitorHub();
  for (let i = 0; i < 2 * RING + 10; i++) {
    hub.publishPoint({ monitor: "m", resolution: "step", point });
  }
  const alert = { id: "a1", monitor: "m", state: "firing" } as AlertEvent;
  const last = hub.publishAlert(alert);
  assert.equal(last, 2 * RING + 11);
  const near = hub.subscribe(last - 2);
  assert.equal((await near.next())!.id, last - 1);
  const ev = await near.next();
  assert.equal(ev!.type as string, "alert");
  assert.deepEqual(ev!.data, alert);
  near.close();
  const far = hub.subscribe(1);
  const first = await far.next();
  assert.ok(
    first && first.id > 1 && first.id >= last - 2 * RING,
    `${first?.id}`,
  );
  far.close();
});
