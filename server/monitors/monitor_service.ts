// Every monitor of the service (the config file's and those created through
// the API), run in the service's one engine: started with the service,
// added, changed and removed by admins, stopped on shutdown. Each stored
// step is published on the monitors' hub and handed to `onPoint` (the
// alerts' hook).
import type { Engine } from "../../probe/engine.ts";
import type {
  MonitorDetail,
  MonitorPoint,
  MonitorSpec,
  MonitorStatus,
} from "../../model/monitor.ts";
import type { Config, ServerEntry } from "../config/config.ts";
import {
  ConflictError,
  InvalidRequestError,
  LimitError,
  NotFoundError,
} from "../errors.ts";
import { MonitorLoop, monitorPps, type RemoteSites } from "./monitor_loop.ts";
import type { HopRow, MonitorStore } from "./monitor_store.ts";
import type { MonitorHub } from "./monitor_hub.ts";

export type MonitorSource = "config" | "api";

export interface MonitorServiceOptions {
  engine: Engine;
  config: Config;
  store: MonitorStore;
  hub: MonitorHub;
  /** Every stored step (the alerts' AlertService.observe). */
  onPoint?: (
    monitor: MonitorSpec,
    server: ServerEntry,
    address: string | null,
    point: MonitorPoint,
  ) => void;
  /** Names of the rules firing now (the alerts part); default none. */
  firing?: (monitorId: string) => string[];
  /** Probes per second of the running tests (the runner), for admissions. */
  testsPps?: () => number;
  /** An API monitor was deleted (the alerts forget its rules' state). */
  onRemove?: (monitorId: string) => void;
  /** Probe agents: a monitor of a server at another site runs there. */
  remote?: RemoteSites;
}

interface Entry {
  loop: MonitorLoop;
  source: MonitorSource;
}

export class MonitorService {
  readonly #m = new Map<string, Entry>();
  readonly #o: MonitorServiceOptions;
  #closed = false;

  constructor(options: MonitorServiceOptions) {
    this.#o = options;
  }

  set firing(f: (monitorId: string) => string[]) {
    this.#o.firing = f;
  }

  set onPoint(f: MonitorServiceOptions["onPoint"]) {
    this.#o.onPoint = f;
  }

  set onRemove(f: (monitorId: string) => void) {
    this.#o.onRemove = f;
  }

  set testsPps(f: () => number) {
    this.#o.testsPps = f;
  }

  /** Starts the config's monitors and those stored by the API. */
  async start(): Promise<void> {
    const configIds = new Set<string>();
    for (const spec of this.#o.config.monitors) {
      configIds.add(spec.id);
      await this.#launch(spec, "config");
    }
    for (const spec of await this.#o.store.specs()) {
      if (configIds.has(spec.id)) {
        console.error(
          `monitor ${spec.id}: defined in the config file and through the API; the config's is used`,
        );
        continue;
      }
      if (!this.#server(spec.server)) {
        console.error(
          `monitor ${spec.id}: server "${spec.server}" is no longer configured; not started`,
        );
        continue;
      }
      await this.#launch(spec, "api");
    }
  }

  #server(id: string): ServerEntry | undefined {
    return this.#o.config.servers.find((s) => s.id === id);
  }

  async #launch(spec: MonitorSpec, source: MonitorSource): Promise<void> {
    const server = this.#server(spec.server)!;
    const loop: MonitorLoop = new MonitorLoop(spec, server, {
      engine: this.#o.engine,
      store: this.#o.store,
      remote: this.#o.remote,
      onPoint: (point, address) => {
        this.#o.hub.publishPoint({
          monitor: spec.id,
          resolution: "step",
          point,
        });
        try {
          this.#o.onPoint?.(spec, server, address, point);
        } catch (e) {
          console.error(`monitor ${spec.id}: onPoint failed:`, e);
        }
      },
      onRollup: (point) =>
        this.#o.hub.publishPoint({
          monitor: spec.id,
          resolution: point.span_s === 3600 ? "hour" : "day",
          point,
        }),
    });
    this.#m.set(spec.id, { loop, source });
    await loop.start();
  }

  /** Probes per second every monitor sends (path monitors: every hop). */
  pps(except?: string): number {
    let sum = 0;
    for (const [id, e] of this.#m) {
      if (id !== except) sum += monitorPps(e.loop.spec);
    }
    return sum;
  }

  #admit(spec: MonitorSpec, except?: string): void {
    if (!this.#server(spec.server)) {
      throw new InvalidRequestError(
        `server: "${spec.server}" is not a configured server id`,
        "server",
      );
    }
    const max = this.#o.config.limits.max_pps;
    const want = monitorPps(spec);
    const monitors = this.pps(except);
    if (monitors + want > max) {
      throw new InvalidRequestError(
        `probes: monitors send ${monitors} probes/s; ${want} more (probes / step_s${
          spec.mode === "path" ? " × hops" : ""
        }) would exceed ${max} (limits.max_pps)`,
        "probes",
      );
    }
    const tests = this.#o.testsPps?.() ?? 0;
    if (tests + monitors + want > max) {
      throw new LimitError(
        `running tests send ${tests} and monitors ${monitors} probes/s; ${want} more would exceed ${max} (limits.max_pps)`,
        60,
      );
    }
  }

  async create(spec: MonitorSpec): Promise<void> {
    if (this.#closed) throw new Error("monitor service is closed");
    if (this.#m.has(spec.id)) {
      throw new ConflictError(`a monitor with id "${spec.id}" exists`);
    }
    this.#admit(spec);
    await this.#o.store.putSpec(spec);
    await this.#launch(spec, "api");
  }

  /** Replaces an API monitor's spec (restarting it); config monitors are read-only. */
  async update(spec: MonitorSpec): Promise<void> {
    const e = this.#mustApi(spec.id);
    this.#admit(spec, spec.id);
    await e.loop.stop();
    await this.#o.store.putSpec(spec);
    await this.#launch(spec, "api");
  }

  /** Stops an API monitor and forgets its spec; its stored history stays until it expires. */
  async remove(id: string): Promise<void> {
    const e = this.#mustApi(id);
    this.#m.delete(id);
    await e.loop.stop();
    await this.#o.store.deleteSpec(id);
    this.#o.onRemove?.(id);
  }

  #mustApi(id: string): Entry {
    const e = this.#m.get(id);
    if (!e) throw new NotFoundError(`no monitor with id "${id}"`, "id");
    if (e.source === "config") {
      throw new ConflictError(
        `monitor "${id}" is defined in the config file: change it there and restart the service`,
      );
    }
    return e;
  }

  spec(id: string): MonitorSpec | undefined {
    return this.#m.get(id)?.loop.spec;
  }

  status(id: string): MonitorStatus | undefined {
    const e = this.#m.get(id);
    if (!e) return undefined;
    const { loop } = e;
    const s = loop.spec;
    const firing = this.#o.firing?.(s.id) ?? [];
    const latest = loop.latest;
    const fresh = latest !== null &&
      Date.now() - (latest.t + latest.span_s * 1000) <=
        2 * s.step_s * 1000 + s.timeout_ms;
    return {
      id: s.id,
      server: s.server,
      server_name: loop.server.name,
      group: loop.server.group,
      address: loop.address,
      mode: s.mode,
      step_s: s.step_s,
      probes: s.probes,
      state: !fresh ? "no_data" : firing.length ? "alerting" : "ok",
      latest,
      firing,
      source: e.source,
    };
  }

  /** The status with the spec and the latest path (GET /api/monitors/:id, its page); null if none. */
  detail(id: string): MonitorDetail | null {
    const st = this.status(id);
    const spec = this.spec(id);
    return st && spec ? { ...st, spec, path: this.latestHops(id) } : null;
  }

  list(): MonitorStatus[] {
    return [...this.#m.keys()].sort().map((id) => this.status(id)!);
  }

  latestHops(id: string): { t: number; hops: HopRow[] } | null {
    return this.#m.get(id)?.loop.latestHops ?? null;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled([...this.#m.values()].map((e) => e.loop.stop()));
  }
}
