import assert from "node:assert/strict";
import { postJson, withApiKit } from "../../testing/api_testkit.ts";

/** Parses exposition text into "name{labels}" -> value. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const at = line.lastIndexOf(" ");
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

Deno.test("/metrics: per-target loss, RTT, jitter and counts, running tests and SSE clients", async () => {
  await withApiKit(async ({ app, runner }) => {
    const before = samples(await (await app.request("/metrics")).text());
    assert.equal(before.get("pla_tests_running"), 0);
    assert.equal(before.get("pla_sse_clients"), 0);
    assert.ok(
      !before.has('pla_target_probes_sent_total{target="localhost-v4"}'),
    );

    const res = await postJson(app, "/api/tests", {
      targets: ["localhost-v4"],
      count: 20,
      interval_ms: 20,
      timeout_ms: 500,
    });
    assert.equal(res.status, 201);
    const { id } = await res.json();
    const sse = await app.request(`/api/tests/${id}/events?probes=0`);
    const reader = sse.body!.getReader();
    await reader.read(); // the stream is open once the first bytes arrive

    const during = await app.request("/metrics");
    assert.equal(
      during.headers.get("content-type"),
      "text/plain; version=0.0.4; charset=utf-8",
    );
    const mid = samples(await during.text());
    assert.equal(mid.get("pla_tests_running"), 1);
    assert.equal(mid.get("pla_sse_clients"), 1);

    await runner.finished(id);
    while (!(await reader.read()).done) { /* drain to the end event */ }
    const after = samples(await (await app.request("/metrics")).text());
    const t = '{target="localhost-v4",address="127.0.0.1"}';
    assert.equal(after.get("pla_tests_running"), 0);
    assert.equal(after.get("pla_sse_clients"), 0);
    assert.equal(after.get("pla_tests_started_total"), 1);
    assert.equal(
      after.get('pla_target_probes_sent_total{target="localhost-v4"}'),
      20,
    );
    assert.equal(
      after.get('pla_target_probes_received_total{target="localhost-v4"}'),
      20,
    );
    assert.equal(after.get(`pla_target_loss_ratio${t}`), 0);
    const summary = (await (await app.request(`/api/tests/${id}`)).json())
      .summary[0];
    assert.equal(
      after.get(`pla_target_rtt_avg_seconds${t}`),
      summary.avg_rtt_ms / 1000,
    );
    assert.equal(
      after.get(`pla_target_jitter_seconds${t}`),
      summary.jitter_ms / 1000,
    );
    assert.ok(after.get("pla_process_resident_memory_bytes")! > 0);

    // A second test adds to the counters instead of replacing them.
    const again = await postJson(app, "/api/tests", {
      targets: ["localhost-v4"],
      count: 3,
      interval_ms: 10,
      timeout_ms: 500,
    });
    await runner.finished((await again.json()).id);
    const total = samples(await (await app.request("/metrics")).text());
    assert.equal(
      total.get('pla_target_probes_sent_total{target="localhost-v4"}'),
      23,
    );
  });
});
