// The agent protocol through the app (no agent process): a poll takes the
// assignment of a test at site lab, results sent in pieces (one resent, one
// with a gap) are stored exactly once, and the end completes the test with
// the agent's statistics; the routes are in the OpenAPI document with their
// roles, and their answers match it.
import assert from "node:assert/strict";
import { postJson, withApiKit } from "../../testing/api_testkit.ts";
import { checkResponse } from "../../testing/openapi_check.ts";
import { MemoryAgentBus } from "../agents/memory_agent_bus.ts";
import type { AgentWork } from "../../model/agent.ts";
import type { ProbeRecord, TargetStats } from "../../model/probe.ts";
import { computeStats } from "../../probe/statistics.ts";

const CONFIG = `auth: { mode: open }
servers:
  - { id: far, name: Far, host: 127.0.0.1, site: lab }
`;

const record = (target: string, index: number): ProbeRecord => ({
  target,
  address: "127.0.0.1",
  index,
  seq: index + 1,
  sent_at: 1_700_000_000_000 + index * 10,
  rtt_ms: 0.5 + index / 100,
  status: "ok",
  ttl: 64,
  ts_source: "kernel",
});

Deno.test("agent routes: a lab test's records stored once each, the end completes it", async () => {
  const bus = new MemoryAgentBus({ offlineAfterMs: 5000 });
  await withApiKit(async ({ app, runner }) => {
    const doc = await (await app.request("/api/openapi.json")).json();
    assert.equal(doc.paths["/api/agent/poll"].post["x-required-role"], "agent");
    assert.equal(
      doc.paths["/api/agent/results"].post["x-required-role"],
      "agent",
    );
    assert.equal(doc.paths["/api/agents"].get["x-required-role"], "viewer");

    // No agent yet: refused, nothing started.
    const early = await postJson(app, "/api/tests", {
      targets: ["far"],
      count: 4,
    });
    assert.equal(early.status, 503);
    assert.equal((await runner.list()).length, 0);

    const poll = () =>
      postJson(app, "/api/agent/poll", {
        agent: "a1",
        site: "lab",
        wait_ms: 0,
      });
    const idle = await poll();
    await checkResponse(doc, "post", "/api/agent/poll", idle.clone());
    assert.deepEqual(await idle.json(), { assignments: [], cancellations: [] });

    const started = await postJson(app, "/api/tests", {
      targets: ["far"],
      count: 4,
      interval_ms: 10,
    });
    assert.equal(started.status, 201);
    const test = await started.json();
    assert.deepEqual(test.targets[0].id, "far@lab");
    const work: AgentWork = await (await poll()).json();
    assert.equal(work.assignments.length, 1);
    const a = work.assignments[0];
    assert.equal(a.test_id, test.id);
    assert.deepEqual(a.targets, [{ target: "far@lab", host: "127.0.0.1" }]);
    assert.equal(a.settings.count, 4);

    const recs = [0, 1, 2, 3].map((i) => ({
      seq: i + 1,
      record: record("far@lab", i),
    }));
    const send = (records: typeof recs, done?: unknown) =>
      postJson(app, "/api/agent/results", {
        agent: "a1",
        run_key: a.run_key,
        records,
        ...(done ? { done } : {}),
      });
    const first = await send(recs.slice(0, 2));
    await checkResponse(doc, "post", "/api/agent/results", first.clone());
    assert.deepEqual(await first.json(), { acked: 2, closed: false });
    // The ack was lost: sent again with the next one; only seq 3 is new.
    assert.deepEqual(await (await send(recs.slice(1, 3))).json(), {
      acked: 3,
      closed: false,
    });
    // The end, claiming seq 4, arrives before seq 4: a gap names what is expected.
    const gap = await send([], { seq: 5, stopped: false });
    assert.equal(gap.status, 409);
    assert.deepEqual(await gap.json(), {
      acked: 3,
      closed: false,
      expected: 4,
    });
    const stats: TargetStats = computeStats(
      recs.map((r) => ({
        index: r.record.index,
        status: "ok",
        rtt_ms: r.record.rtt_ms,
        sent_ms: r.record.sent_at,
        received_ms: r.record.sent_at + r.record.rtt_ms!,
        duplicates: 0,
      })),
    );
    const end = await send(recs.slice(3), {
      seq: 4,
      stopped: false,
      stats: [stats],
    });
    assert.deepEqual(await end.json(), { acked: 4, closed: true });
    await runner.finished(test.id);
    const meta = await (await app.request(`/api/tests/${test.id}`)).json();
    assert.equal(meta.status, "completed");
    assert.deepEqual(meta.summary[0].sent, 4);
    assert.equal(meta.summary[0].avg_rtt_ms, stats.avg_rtt_ms);
    const samples = await (await app.request(
      `/api/tests/${test.id}/samples?limit=100`,
    )).json();
    assert.deepEqual(samples.probes.map((p: ProbeRecord) => p.index), [
      0,
      1,
      2,
      3,
    ]);
    // After the end: acknowledged as closed, nothing stored again.
    assert.deepEqual(await (await send(recs.slice(3))).json(), {
      acked: 4,
      closed: true,
    });

    const agents = await app.request("/api/agents");
    await checkResponse(doc, "get", "/api/agents", agents.clone());
    const list = await agents.json();
    assert.deepEqual(
      list.agents.map((x: { name: string; site: string }) => [x.name, x.site]),
      [["a1", "lab"]],
    );
    // The dashboard lists them.
    const page = await (await app.request("/", {
      headers: { accept: "text/html" },
    })).text();
    assert.match(
      page,
      /<caption>Probe agents<\/caption>[\s\S]*<td data-label="Site">lab<\/td><td data-label="Agent">a1<\/td><td data-label="State">online<\/td>/,
    );
    // A full batch is far over the 64 KiB of other bodies: it has its own limit.
    const big = await postJson(app, "/api/agent/results", {
      agent: "a1",
      run_key: "gone",
      records: Array.from({ length: 5000 }, (_, i) => ({
        seq: i + 1,
        record: record("far@lab", i),
      })),
    });
    assert.equal(big.status, 200);
    assert.deepEqual(await big.json(), { acked: 5000, closed: true });
    const huge = await postJson(app, "/api/agent/results", {
      pad: "x".repeat(4 * 1024 * 1024),
    });
    assert.equal(huge.status, 413);
    await huge.body?.cancel();
    // The form offers the sites to probe from (the service and lab).
    assert.match(page, /<legend>Probe from<\/legend>/);
    assert.match(page, /name="site" value="local"/);
    assert.match(page, /name="site" value="lab"/);
    // Bad bodies: named, nothing changed.
    const bad = await postJson(app, "/api/agent/poll", { agent: "a 1" });
    assert.equal(bad.status, 400);
    assert.match((await bad.json()).detail, /agent/);
    const noSite = await postJson(app, "/api/agent/poll", {
      agent: "a2",
      wait_ms: 0,
    });
    assert.equal(noSite.status, 422);
    assert.match((await noSite.json()).detail, /site: required/);
  }, { configYaml: CONFIG, agents: bus });
});
