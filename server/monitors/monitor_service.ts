// Every monitor of the service (the config file's and those created through
// the API), run in the service's one engine: started with the service,
// added, changed and removed by admins, stopped on shutdown. Each stored
// step is published on the monitors' hub and handed to `onPoint` (the
// alerts' hook). With `mayRun` (replicas sharing a database: a monitor runs
// where its lease is held) a monitor runs only while mayRun says so, asked
// before it starts and every few seconds after; the others show what the
// store holds, and API monitors made on another replica are picked up.
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
  /**
   * Names of the rules firing now (the alerts part); default none. `here`:
   * the monitor runs in this process (always without mayRun).
   */
  firing?: (monitorId: string, here: boolean) => string[];
  /** Probes per second of the running tests (the runner), for admissions. */
  testsPps?: () => number;
  /** An API monitor was deleted (the alerts forget its rules' state). */
  onRemove?: (monitorId: string) => void;
  /**
   * Whether this process may run the monitor now (e.g. holds its lease);
   * default: always, and nothing is asked again. Asked before each monitor
   * starts and every `mayRunEveryMs` after: a monitor starts when it turns
   * true and stops when it turns false. An answer that throws changes
   * nothing (a monitor not started yet stays stopped).
   */
  mayRun?: (monitorId: string) => boolean | Promise<boolean>;
  /**
   * Awaited each time a monitor starts running here, before its loop starts
   * (AlertService.adopt: a monitor taken over from another replica). When it
   * throws the monitor does not start; with mayRun it is tried again at the
   * next check.
   */
  onStart?: (monitorId: string) => Promise<void>;
  /** How often mayRun is asked again, ms; default 5000. */
  mayRunEveryMs?: number;
  /** Probe agents: a monitor of a server at another site runs there. */
  remote?: RemoteSites;
}

interface Entry {
  /** The current loop; a stopped one is replaced when the monitor starts again. */
  loop: MonitorLoop;
  source: MonitorSource;
  /** Its loop runs here (started and not stopped). */
  running: boolean;
}

/** JSON with sorted keys: the same spec from the API and from a database's JSON compare equal. */
function canonical(v: unknown): string {
  return JSON.stringify(
    v,
    (_k, x) =>
      x && typeof x === "object" && !Array.isArray(x)
        ? Object.fromEntries(
          Object.entries(x).sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0),
        )
        : x,
  );
}

export class MonitorService {
  readonly #m = new Map<string, Entry>();
  readonly #o: MonitorServiceOptions;
  #closed = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Changes (create, update, remove, the mayRun check) one at a time. */
  #serial: Promise<unknown> = Promise.resolve();

  constructor(options: MonitorServiceOptions) {
    this.#o = options;
  }

  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#serial.then(fn);
    this.#serial = run.catch(() => {});
    return run;
  }

  set firing(f: (monitorId: string, here: boolean) => string[]) {
    this.#o.firing = f;
  }

  set onStart(f: (monitorId: string) => Promise<void>) {
    this.#o.onStart = f;
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
    await this.#exclusive(() => this.#startAll());
    if (this.#o.mayRun) this.#schedule();
  }

  async #startAll(): Promise<void> {
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
    const e: Entry = { loop: this.#newLoop(spec), source, running: false };
    this.#m.set(spec.id, e);
    if (!(await this.#ask(spec.id)) || !(await this.#begin(e))) {
      await this.#refresh(e);
    }
  }

  /** Runs onStart, then the entry's loop; false when onStart failed. */
  async #begin(e: Entry): Promise<boolean> {
    const id = e.loop.spec.id;
    try {
      await this.#o.onStart?.(id);
    } catch (err) {
      console.error(`monitor ${id}: onStart failed, not started:`, err);
      return false;
    }
    e.running = true;
    await e.loop.start();
    return true;
  }

  /** mayRun's answer; null when it failed. */
  async #ask(id: string): Promise<boolean | null> {
    if (!this.#o.mayRun) return true;
    try {
      return await this.#o.mayRun(id);
    } catch (e) {
      console.error(`monitor ${id}: mayRun failed:`, e);
      return null;
    }
  }

  /** A monitor run elsewhere: its latest figures as stored. */
  async #refresh(e: Entry): Promise<void> {
    const { store } = this.#o;
    const id = e.loop.spec.id;
    try {
      e.loop.latest = await store.lastPoint(id);
      if (e.loop.spec.mode === "path") {
        e.loop.latestHops = await store.latestHops(id);
      }
    } catch (err) {
      console.error(`monitor ${id}: reading its latest point failed:`, err);
    }
  }

  #schedule(): void {
    if (this.#closed) return;
    this.#timer = setTimeout(() => {
      this.#exclusive(() => this.#check()).catch((e) =>
        console.error("monitors: the mayRun check failed:", e)
      ).finally(() => this.#schedule());
    }, this.#o.mayRunEveryMs ?? 5000);
  }

  /** Picks up API monitors changed elsewhere, then starts and stops loops as mayRun says. */
  async #check(): Promise<void> {
    if (this.#closed) return;
    await this.#syncSpecs();
    for (const [id, e] of [...this.#m]) {
      if (this.#closed || this.#m.get(id) !== e) continue;
      const may = await this.#ask(id);
      if (may === true && !e.running) {
        // A loop runs once: a monitor started again gets a new one.
        e.loop = this.#newLoop(e.loop.spec);
        await this.#begin(e);
      } else if (may === false && e.running) {
        e.running = false;
        await e.loop.stop();
      }
      if (!e.running) await this.#refresh(e);
    }
  }

  async #syncSpecs(): Promise<void> {
    let stored: MonitorSpec[];
    try {
      stored = await this.#o.store.specs();
    } catch (e) {
      console.error("monitors: reading the specs failed:", e);
      return;
    }
    const ids = new Set(stored.map((s) => s.id));
    for (const spec of stored) {
      const e = this.#m.get(spec.id);
      if (e?.source === "config" || !this.#server(spec.server)) continue;
      if (e && canonical(e.loop.spec) === canonical(spec)) continue;
      if (e) await e.loop.stop();
      await this.#launch(spec, "api");
    }
    for (const [id, e] of [...this.#m]) {
      if (e.source !== "api" || ids.has(id)) continue;
      this.#m.delete(id);
      await e.loop.stop();
      this.#o.onRemove?.(id);
    }
  }

  #newLoop(spec: MonitorSpec): MonitorLoop {
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
    return loop;
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
    const ports = this.#o.config.targets.allow_ports;
    const port = spec.probe?.port;
    if (ports && port !== undefined && !ports.includes(port)) {
      throw new InvalidRequestError(
        `probe.port: port ${port} is not allowed (targets.allow_ports: ${
          ports.join(", ")
        })`,
        "probe.port",
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

  create(spec: MonitorSpec): Promise<void> {
    return this.#exclusive(() => this.#create(spec));
  }

  async #create(spec: MonitorSpec): Promise<void> {
    if (this.#closed) throw new Error("monitor service is closed");
    if (this.#m.has(spec.id)) {
      throw new ConflictError(`a monitor with id "${spec.id}" exists`);
    }
    this.#admit(spec);
    await this.#o.store.putSpec(spec);
    await this.#launch(spec, "api");
  }

  /** Replaces an API monitor's spec (restarting it); config monitors are read-only. */
  update(spec: MonitorSpec): Promise<void> {
    return this.#exclusive(() => this.#update(spec));
  }

  async #update(spec: MonitorSpec): Promise<void> {
    const e = this.#mustApi(spec.id);
    this.#admit(spec, spec.id);
    await e.loop.stop();
    await this.#o.store.putSpec(spec);
    await this.#launch(spec, "api");
  }

  /** Stops an API monitor and forgets its spec; its stored history stays until it expires. */
  remove(id: string): Promise<void> {
    return this.#exclusive(() => this.#remove(id));
  }

  async #remove(id: string): Promise<void> {
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
    const here = !this.#o.mayRun || e.running;
    const firing = this.#o.firing?.(s.id, here) ?? [];
    const latest = loop.latest;
    const probe = s.probe ?? loop.server.probe;
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
      ...(probe && probe.kind !== "icmp" && s.mode !== "path" ? { probe } : {}),
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
    clearTimeout(this.#timer);
    await this.#serial;
    await Promise.allSettled([...this.#m.values()].map((e) => e.loop.stop()));
  }
}
