// Starts runs of the TCP and TLS probe kinds; the ICMP engine hands them
// here (Engine.run with settings.probe). Owns what the kinds share across
// runs: the TLS trust and the one tcp-syn socket (one receive loop for all).
import type { ProbeSettings } from "../../model/probe.ts";
import type { Family } from "../ip_address.ts";
import { resolveTarget } from "../resolve_target.ts";
import type { TargetSpec } from "../target.ts";
import { type KindProber, KindRun, type KindRunOptions } from "./kind_run.ts";
import { ConnectProber } from "./connect_prober.ts";
import { TlsProber } from "./tls_prober.ts";
import { SynProber } from "./syn_prober.ts";

export interface KindStartOptions extends KindRunOptions {
  family?: Family;
}

export class KindEngine {
  readonly #runs = new Set<KindRun>();
  readonly #connect = new ConnectProber();
  readonly #tls = new TlsProber();
  #syn: SynProber | null = null;

  /**
   * Trusts the CAs (or pinned certificates) in this PEM text for tls probes,
   * besides Deno's default roots; throws when it holds no certificate.
   */
  trustCa(pem: string): void {
    this.#tls.trust.add(pem);
  }

  /** Opens the tcp-syn socket now; throws TcpSynPermissionError without CAP_NET_RAW. */
  openSyn(family: Family): void {
    this.#synProber().open(family);
  }

  #synProber(): SynProber {
    return this.#syn ??= new SynProber();
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
    if (kind === "tcp-connect") prober = this.#connect;
    else if (kind === "tls") prober = this.#tls;
    else if (kind === "tcp-syn") {
      const syn = this.#synProber();
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
