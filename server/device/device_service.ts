// Starts device tests: checks the request and the device caps, answers the
// client's offer with the echo peer, and hands the run to the runner as an
// external executor (same limits, store, hub, history as every test).
import { z } from "zod";
import { deviceRequest, settingsOf } from "../../model/device.ts";
import type { TestMeta } from "../../model/run.ts";
import type { DeviceTestConfig } from "./device_config.ts";
import type { DeviceCounters } from "./device_metrics.ts";
import { newId, type Runner } from "../runs/runner.ts";
import {
  InvalidRequestError,
  LimitError,
  UnavailableError,
} from "../errors.ts";
import { answerOffer, type RtcPeer, RtcUnavailableError } from "./rtc_peer.ts";
import { startDeviceRun } from "./device_run.ts";

export interface DeviceServiceOptions {
  runner: Runner;
  config: DeviceTestConfig;
  counters: DeviceCounters;
  /** Period of the reports; default 1000 ms. */
  reportEveryMs?: number;
}

export interface DeviceStart {
  who: string;
  /** The client's address as the server sees it (proxies resolved). */
  clientAddress: string;
  userAgent: string;
}

interface Running {
  client: string;
  bytesPerS: number;
}

const fieldOf = (issue: z.core.$ZodIssue) =>
  issue.code === "unrecognized_keys"
    ? issue.keys[0]
    : issue.path.length
    ? issue.path.map(String).join(".")
    : "body";

export class DeviceService {
  readonly #o: DeviceServiceOptions;
  readonly #running = new Map<string, Running>();

  constructor(o: DeviceServiceOptions) {
    this.#o = o;
  }

  /** The device counters in Prometheus text (appended to /metrics). */
  metricsText(): string {
    return this.#o.counters.render();
  }

  get config(): DeviceTestConfig {
    return this.#o.config;
  }

  /** Validates, admits and starts; returns the test and the answer SDP. */
  async start(
    body: unknown,
    s: DeviceStart,
  ): Promise<{ meta: TestMeta; answer: string }> {
    const { config, runner, counters } = this.#o;
    if (!config.enabled) {
      throw new UnavailableError(
        "device tests are turned off here (device_test.enabled)",
      );
    }
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      throw new InvalidRequestError("body must be a JSON object", "body");
    }
    const r = deviceRequest.safeParse(body);
    if (!r.success) {
      const issue = r.error.issues[0];
      const field = fieldOf(issue);
      throw new InvalidRequestError(`${field}: ${issue.message}`, field);
    }
    const settings = settingsOf(r.data);
    const bytesPerS = settings.size * settings.rate;
    const id = newId();
    this.#admit(id, s.clientAddress, bytesPerS);
    let peer: RtcPeer;
    try {
      peer = await answerOffer(r.data.offer.sdp, {
        ports: config.ports,
        publicAddress: config.public_address,
      });
    } catch (e) {
      this.#running.delete(id);
      if (e instanceof RtcUnavailableError) {
        throw new UnavailableError(e.message);
      }
      throw new InvalidRequestError((e as Error).message, "offer");
    }
    const client = r.data.client ?? (s.userAgent.slice(0, 200) || "unknown");
    const meta: TestMeta = {
      id,
      status: "running",
      created_at: new Date().toISOString(),
      finished_at: null,
      created_by: s.who,
      kind: "device",
      // The ping tests' form of the same schedule: the limits and listings read it.
      settings: {
        interval_ms: 1000 / settings.rate,
        count: Math.ceil(settings.rate * settings.duration_s),
        timeout_ms: settings.delay_ms,
        size: Math.max(18, settings.size),
      },
      targets: [{
        id: "device",
        name: `device ${s.clientAddress}`,
        host: s.clientAddress,
        address: s.clientAddress,
      }],
      device: {
        settings,
        client_address: s.clientAddress,
        client,
        summary: null,
      },
    };
    try {
      const started = await runner.startExternal(meta, s.who, (emit) => {
        counters.started();
        const run = startDeviceRun({
          meta,
          peer,
          emit,
          idleMs: config.idle_s * 1000,
          openMs: config.open_s * 1000,
          reportEveryMs: this.#o.reportEveryMs,
          counters,
        });
        run.done.then(() => this.#running.delete(id));
        return Promise.resolve(run);
      });
      return { meta: started, answer: peer.answer };
    } catch (e) {
      this.#running.delete(id);
      peer.close();
      throw e;
    }
  }

  /** The device caps, then a place among the running ones (no await in between). */
  #admit(id: string, client: string, bytesPerS: number): void {
    const { config, counters } = this.#o;
    const all = [...this.#running.values()];
    const refuse = (why: string): never => {
      counters.refused();
      throw new LimitError(why, 5);
    };
    if (all.length >= config.max_concurrent) {
      refuse(
        `${all.length} device tests are running, at most ${config.max_concurrent} (device_test.max_concurrent); try again when one ends`,
      );
    }
    const mine = all.filter((r) => r.client === client).length;
    if (mine >= config.max_per_client) {
      refuse(
        `${mine} device tests from ${client} are running, at most ${config.max_per_client} (device_test.max_per_client)`,
      );
    }
    const bytes = all.reduce((sum, r) => sum + r.bytesPerS, 0);
    if (bytes + bytesPerS > config.max_bytes_per_s) {
      refuse(
        `device tests would echo ${
          bytes + bytesPerS
        } bytes/s, at most ${config.max_bytes_per_s} (device_test.max_bytes_per_s)`,
      );
    }
    this.#running.set(id, { client, bytesPerS });
  }
}
