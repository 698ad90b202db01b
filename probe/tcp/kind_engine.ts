// Starts runs of the TCP and TLS probe kinds; the ICMP engine hands them
// here (Engine.run with settings.probe). Owns what the kinds share across
// runs: the TLS trust and the one tcp-syn socket (one receive loop for all).
// The probers load on first use: an ICMP run never pays for node:net,
// node:tls and node:crypto at start-up (about 20 ms of CPU).
import type { ProbeSettings } from "../../model/probe.ts";
import type { Family } from "../ip_address.ts";
import { resolveTarget } from "../resolve_target.ts";
import type { TargetSpec } from "../target.ts";
import { type KindProber, KindRun, type KindRunOptions } from "./kind_run.ts";
import type { ConnectProber } from "./connect_prober.ts";
import type { TlsProber } from "./tls_prober.ts";
import type { SynProber } from "./syn_prober.ts";

export interface KindStartOptions extends KindRunOptions {
  family?: Family;
}

export class KindEngine {
  readonly #runs = new Set<KindRun>();
  #connect: ConnectProber | null = null;
  #tls: TlsProber | null = null;
  #syn: SynProber | null = null;

  /**
   * Trusts the CAs (or pinned certificates) in this PEM text for tls probes,
   * besides Deno's default roots; rejects when it holds no certificate.
   */
  async trustCa(pem: string): Promise<void> {
    (await this.#tlsProber()).trust.add(pem);
  }

  async #tlsProber(): Promise<TlsProber> {
    if (!this.#tls) {
      const { TlsProber } = await import("./tls_prober.ts");
      this.#tls ??= new TlsProber();
    }
    return this.#tls;
  }

  async #connectProber(): Promise<ConnectProber> {
    if (!this.#connect) {
      const { ConnectProber } = await import("./connect_prober.ts");
      this.#connect ??= new ConnectProber();
    }
    return this.#connect;
  }

  async #synProber(): Promise<SynProber> {
    if (!this.#syn) {
      const { SynProber } = await import("./syn_prober.ts");
      this.#syn ??= new SynProber();
    }
    return this.#syn;
  }

  async run(
    specs: TargetSpec[],
    settings: ProbeSettings,
    options: KindStartOptions,
  ): Promise<KindRun> {
    const kind = settings.probe?.kind;
    if (settings.mode === "path") {
      throw new RangeError(`path mode needs icmp probes, not ${kind}`);
    }
    const resolved = await Promise.all(
      specs.map((s) => resolveTarget(s.host, options.family)),
    );
    const targets = resolved.map((r, i) => ({
      ...specs[i],
      address: r.text,
      family: r.family,
    }));
    let prober: KindProber;
    if (kind === "tcp-connect") prober = await this.#connectProber();
    else if (kind === "tls") prober = await this.#tlsProber();
    else if (kind === "tcp-syn") {
      const syn = await this.#synProber();
      for (const t of targets) syn.open(t.family);
      prober = syn;
    } else throw new RangeError(`not a TCP or TLS probe kind: ${kind}`);
    const run = new KindRun(targets, settings, prober, options);
    this.#runs.add(run);
    run.done.finally(() => this.#runs.delete(run)).catch(() => {});
    return run;
  }

  get activeRuns(): number {
    return this.#runs.size;
  }

  async close(): Promise<void> {
    await Promise.all([...this.#runs].map((r) => r.abort()));
    await this.#syn?.close();
  }
}
