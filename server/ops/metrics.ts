// Prometheus text exposition (format 0.0.4) of what the service measures and
// carries: it watches the runner's events, so the probe path is untouched.
import type { TargetReport } from "../../model/run.ts";
import type { RunEventBody } from "../../model/events.ts";
import type { MonitorStatus } from "../../model/monitor.ts";
import type { AgentInfo } from "../../model/agent.ts";

interface Counts {
  sent: number;
  received: number;
}

export class Metrics {
  /** Latest interval or summary report per target (server id). */
  readonly #last = new Map<string, TargetReport>();
  /** Probes of finished tests per target. */
  readonly #done = new Map<string, Counts>();
  /** Cumulative counts of running tests: test id -> target -> counts. */
  readonly #live = new Map<string, Map<string, Counts>>();
  /** TCP/TLS targets: the kind and port of their latest probe, and certificate days left (tls). */
  readonly #kind = new Map<string, { kind: string; port: number }>();
  readonly #certDays = new Map<string, number>();
  #sseClients = 0;
  #testsStarted = 0;
  /** Every monitor alert rule and whether it fires (AlertService.firingGauge). */
  alertFiring?: () => { monitor: string; alert: string; firing: boolean }[];
  /** The monitors' state and latest step (MonitorService.list), when there are monitors. */
  monitors?: () => MonitorStatus[];

  /** Called by the runner for every event it publishes. */
  observe(testId: string, ev: RunEventBody): void {
    if (ev.type === "probe") {
      const p = ev.data;
      if (p.kind !== undefined && p.port !== undefined) {
        const k = this.#kind.get(p.target);
        if (!k || k.kind !== p.kind || k.port !== p.port) {
          this.#kind.set(p.target, { kind: p.kind, port: p.port });
        }
        if (p.tls?.days_left !== undefined) {
          this.#certDays.set(p.target, p.tls.days_left);
        }
      } else if (this.#kind.has(p.target)) {
        this.#kind.delete(p.target);
        this.#certDays.delete(p.target);
      }
      return;
    }
    if (ev.type === "interval" || ev.type === "summary") {
      const r = ev.data;
      this.#last.set(r.target, r);
      let perTarget = this.#live.get(testId);
      if (!perTarget) this.#live.set(testId, perTarget = new Map());
      perTarget.set(r.target, { sent: r.sent, received: r.received });
    } else if (ev.type === "status") {
      if (ev.data.status === "running") {
        this.#testsStarted++;
      }
    } else if (ev.type === "end") {
      // Fold the test's final counts into the totals so memory stays bounded.
      for (const [target, c] of this.#live.get(testId) ?? []) {
        const d = this.#done.get(target) ?? { sent: 0, received: 0 };
        d.sent += c.sent;
        d.received += c.received;
        this.#done.set(target, d);
      }
      this.#live.delete(testId);
    }
  }

  sseOpened(): void {
    this.#sseClients++;
  }

  sseClosed(): void {
    this.#sseClients--;
  }

  #totals(): Map<string, Counts> {
    const out = new Map<string, Counts>();
    const add = (target: string, c: Counts) => {
      const t = out.get(target) ?? { sent: 0, received: 0 };
      t.sent += c.sent;
      t.received += c.received;
      out.set(target, t);
    };
    for (const [target, c] of this.#done) add(target, c);
    for (const perTarget of this.#live.values()) {
      for (const [target, c] of perTarget) add(target, c);
    }
    return out;
  }

  /** The exposition text; `running` is the number of running tests, `agents` the probe agents seen. */
  render(running: number, agents?: AgentInfo[]): string {
    const out: string[] = [];
    const family = (
      name: string,
      type: "gauge" | "counter",
      help: string,
      samples: [Record<string, string>, number | null][],
    ) => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [labels, value] of samples) {
        if (value === null) continue;
        out.push(`${name}${labelText(labels)} ${formatValue(value)}`);
      }
    };
    const last = [...this.#last.values()].sort((a, b) =>
      a.target.localeCompare(b.target)
    );
    // TCP and TLS targets carry their kind and port as labels (ICMP: none).
    const labelsOf = (target: string, address?: string) => {
      const k = this.#kind.get(target);
      return {
        target,
        ...(address !== undefined ? { address } : {}),
        ...(k ? { kind: k.kind, port: String(k.port) } : {}),
      };
    };
    const per = (f: (r: TargetReport) => number | null) =>
      last.map((r) =>
        [labelsOf(r.target, r.address), f(r)] as [
          Record<string, string>,
          number | null,
        ]
      );
    const seconds = (ms: number | null) => ms === null ? null : ms / 1000;
    family(
      "pla_target_loss_ratio",
      "gauge",
      "Loss (0 to 1) in the latest report of the target's latest test.",
      per((r) => r.loss_pct / 100),
    );
    for (const stat of ["min", "avg", "max", "p95"] as const) {
      const key = `${stat}_rtt_ms` as const;
      family(
        `pla_target_rtt_${stat}_seconds`,
        "gauge",
        `${stat} round-trip time in the latest report of the target's latest test.`,
        per((r) => seconds(r[key])),
      );
    }
    family(
      "pla_target_jitter_seconds",
      "gauge",
      "Jitter (mean absolute difference of consecutive RTTs) in the latest report.",
      per((r) => seconds(r.jitter_ms)),
    );
    family(
      "pla_target_cert_days_left",
      "gauge",
      "TLS targets: days until the certificate seen by the latest probe expires.",
      [...this.#certDays].sort(([a], [b]) => a.localeCompare(b)).map((
        [target, days],
      ) => [labelsOf(target), days]),
    );
    const totals = [...this.#totals()].sort(([a], [b]) => a.localeCompare(b));
    family(
      "pla_target_probes_sent_total",
      "counter",
      "Probes sent to the target and resolved (answered or timed out), all tests.",
      totals.map(([target, c]) => [{ target }, c.sent]),
    );
    family(
      "pla_target_probes_received_total",
      "counter",
      "Probes to the target answered in time, all tests.",
      totals.map(([target, c]) => [{ target }, c.received]),
    );
    family("pla_tests_running", "gauge", "Tests running now.", [[
      {},
      running,
    ]]);
    family(
      "pla_tests_started_total",
      "counter",
      "Tests started since the process began.",
      [[{}, this.#testsStarted]],
    );
    family(
      "pla_sse_clients",
      "gauge",
      "Open Server-Sent Events streams.",
      [[{}, this.#sseClients]],
    );
    if (this.alertFiring) {
      family(
        "pla_monitor_alert_firing",
        "gauge",
        "1 while the monitor's alert rule fires, else 0.",
        this.alertFiring().map((
          a,
        ) => [{ monitor: a.monitor, alert: a.alert }, a.firing ? 1 : 0]),
      );
    }
    const monitors = this.monitors?.().filter((m) => m.latest) ?? [];
    const mon = (m: MonitorStatus) => ({ monitor: m.id, server: m.server });
    family(
      "pla_monitor_loss_ratio",
      "gauge",
      "Loss (0 to 1) in the monitor's latest step.",
      monitors.map((m) => [mon(m), m.latest!.loss_pct / 100]),
    );
    family(
      "pla_monitor_rtt_ms",
      "gauge",
      "RTT deciles (quantile 0.1 to 0.9) of the monitor's latest step, ms.",
      monitors.flatMap((m) =>
        m.latest!.deciles_ms.map((v, i) =>
          [{ ...mon(m), quantile: ((i + 1) / 10).toFixed(1) }, v] as [
            Record<string, string>,
            number,
          ]
        )
      ),
    );
    family(
      "pla_monitor_jitter_ms",
      "gauge",
      "Jitter of the monitor's latest step, ms.",
      monitors.map((m) => [mon(m), m.latest!.jitter_ms]),
    );
    family(
      "pla_monitor_cert_days_left",
      "gauge",
      "TLS monitors: fewest days until certificate expiry in the latest step.",
      monitors.map((m) => [mon(m), m.latest!.cert_days_left ?? null]),
    );
    if (agents) {
      family(
        "pla_agent_up",
        "gauge",
        "1 while the probe agent is online (polling or reporting), else 0.",
        agents.map((
          a,
        ) => [{ site: a.site, agent: a.name }, a.online ? 1 : 0]),
      );
    }
    family(
      "pla_process_resident_memory_bytes",
      "gauge",
      "Resident set size of the server process.",
      [[{}, Deno.memoryUsage().rss]],
    );
    return out.join("\n") + "\n";
  }
}

const labelText = (labels: Record<string, string>) => {
  const parts = Object.entries(labels).map(([k, v]) =>
    `${k}="${
      v.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n")
    }"`
  );
  return parts.length ? `{${parts.join(",")}}` : "";
};

const formatValue = (v: number) =>
  Number.isFinite(v) ? String(v) : v > 0 ? "+Inf" : v < 0 ? "-Inf" : "NaN";
