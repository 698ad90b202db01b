// Path analysis (mtr-like) on the probe engine: one engine target per hop,
// TTL 1..max_hops toward the same destination, one probe per hop per round
// (the engine staggers the hops across the round), "time exceeded" from a
// router answering its hop. Once the destination answers at hop D, hops past
// D stop. Every probe is matched by its token (or wire sequence) as in ping
// mode; the per-hop statistics are ping mode's.
import type { Engine, ProbeRun, RunOptions } from "../engine.ts";
import type { TargetSpec } from "../target.ts";
import type { ProbeRecord, ProbeSettings } from "../../model/probe.ts";
import {
  DEFAULT_MAX_HOPS,
  type HopRecord,
  type PathSummary,
  type RouteChange,
} from "../../model/path.ts";
import { resolveTarget } from "../resolve_target.ts";
import { lossVerdict } from "./loss_origin.ts";
import { HopState } from "./hop_state.ts";
import type { ReverseNames } from "./reverse_names.ts";

export interface PathOptions {
  family?: RunOptions["family"];
  lingerMs?: number;
  /** Every probe record (with `hop`, and `from` for a router's answer). */
  onProbe?: (record: ProbeRecord) => void;
  /** A hop's answering address changed. */
  onRouteChange?: (change: RouteChange) => void;
  /** Reverse DNS for hop addresses; none: no names. */
  names?: ReverseNames;
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Route changes kept (the newest; every one is also reported as it happens):
 * a hop alternating between routers every round would otherwise grow memory
 * and the summary (past KV's 64 KiB value limit) without bound.
 */
export const MAX_ROUTE_CHANGES = 100;

/** One target's path test in progress. */
export class PathRun {
  readonly target: string;
  /** The destination address. */
  readonly address: string;
  readonly maxHops: number;
  readonly #hops: HopState[];
  #run?: ProbeRun;
  readonly #changes: RouteChange[] = [];
  #changeCount = 0;
  readonly #names?: ReverseNames;
  #destinationHop: number | null = null;

  /** @internal use startPath */
  constructor(
    target: string,
    address: string,
    maxHops: number,
    names?: ReverseNames,
  ) {
    this.#hops = Array.from({ length: maxHops }, () => new HopState());
    this.target = target;
    this.address = address;
    this.maxHops = maxHops;
    this.#names = names;
  }

  /** @internal The engine run probing the hops (its first records may come before). */
  attach(run: ProbeRun): void {
    this.#run = run;
    if (this.#destinationHop !== null) this.#stopPast(this.#destinationHop);
  }

  /** Resolves when every hop is done. */
  get done(): Promise<void> {
    return this.#engineRun.done;
  }

  /** The engine run: one target per hop, index hop - 1 (a monitor reads the destination's figures). */
  get engineRun(): ProbeRun {
    return this.#engineRun;
  }

  get #engineRun(): ProbeRun {
    if (!this.#run) throw new Error("path run not started");
    return this.#run;
  }

  get destinationHop(): number | null {
    return this.#destinationHop;
  }

  /** The newest route changes (at most MAX_ROUTE_CHANGES). */
  get routeChanges(): readonly RouteChange[] {
    return this.#changes.slice(-MAX_ROUTE_CHANGES);
  }

  /** Every route change seen, also those no longer kept. */
  get routeChangeCount(): number {
    return this.#changeCount;
  }

  stop(): void {
    this.#engineRun.stop();
  }

  /** @internal The engine reported a probe of one hop. */
  observe(record: ProbeRecord): RouteChange | null {
    const hop = record.hop!;
    const state = this.#hops[hop - 1];
    const answered = record.status === "ok" || record.status === "late";
    if (!answered) return null;
    const from = record.from ?? record.address;
    if (record.from === undefined) this.#reached(hop);
    if (record.status === "ok") state.count(from);
    const previous = state.answer(record.index, from, record.rtt_ms);
    if (previous === undefined) return null;
    const change: RouteChange = {
      timestamp: iso(record.sent_at),
      target: this.target,
      address: this.address,
      hop,
      from: previous,
      to: from,
    };
    this.#changes.push(change);
    this.#changeCount++;
    // Trimmed in blocks, so an alternating hop costs O(1) per change.
    if (this.#changes.length >= 2 * MAX_ROUTE_CHANGES) {
      this.#changes.splice(0, this.#changes.length - MAX_ROUTE_CHANGES);
    }
    return change;
  }

  #reached(hop: number): void {
    if (this.#destinationHop !== null && this.#destinationHop <= hop) return;
    this.#destinationHop = hop;
    if (this.#run) this.#stopPast(hop);
  }

  /** No probes past the destination. */
  #stopPast(hop: number): void {
    for (let h = hop + 1; h <= this.maxHops; h++) this.#run!.stopTarget(h - 1);
  }

  /** The hops shown now: up to the destination, else up to one past the last that answered. */
  #shownHops(): number {
    if (this.#destinationHop !== null) return this.#destinationHop;
    let last = 0;
    for (let h = 1; h <= this.maxHops; h++) {
      if (this.#hops[h - 1].addresses.size > 0) last = h;
    }
    return Math.min(this.maxHops, last + 1);
  }

  /** Every shown hop, cumulative since the start, with the loss verdict. */
  hops(now = Date.now()): HopRecord[] {
    const n = this.#shownHops();
    const run = this.#engineRun;
    const stats = Array.from({ length: n }, (_, i) => run.stats(i));
    const verdict = lossVerdict(
      stats.map((s, i) => ({ hop: i + 1, sent: s.sent, received: s.received })),
    );
    const timestamp = iso(now);
    return stats.map((s, i): HopRecord => {
      const state = this.#hops[i];
      const addresses = state.ranked().map(([address, received]) => ({
        address,
        name: this.#names?.name(address) ?? null,
        received,
      }));
      return {
        timestamp,
        target: this.target,
        address: this.address,
        hop: i + 1,
        hop_address: addresses[0]?.address ?? null,
        hop_addresses: addresses,
        sent: s.sent,
        received: s.received,
        loss_pct: s.loss_pct,
        last_rtt_ms: state.lastRtt,
        min_rtt_ms: s.min_rtt_ms,
        avg_rtt_ms: s.avg_rtt_ms,
        max_rtt_ms: s.max_rtt_ms,
        stdev_ms: s.mdev_ms,
        jitter_ms: s.jitter_ms,
        forwarded_loss: verdict.forwarded[i],
      };
    });
  }

  /** The path and its verdict now (at the end: the final one). */
  summary(now = Date.now()): PathSummary {
    const hops = this.hops(now);
    const verdict = lossVerdict(hops);
    return {
      timestamp: iso(now),
      target: this.target,
      address: this.address,
      destination_reached: this.#destinationHop !== null,
      destination_hop: this.#destinationHop,
      loss_origin: verdict.lossOrigin,
      route_changes: this.routeChanges.slice(),
      hops,
    };
  }
}

/**
 * Resolves the target once (every hop probes the same address), then starts
 * probing hops 1..max_hops; `settings.count` is the number of rounds.
 */
export async function startPath(
  engine: Engine,
  spec: TargetSpec,
  settings: ProbeSettings,
  options: PathOptions = {},
): Promise<PathRun> {
  const resolved = await resolveTarget(spec.host, options.family);
  const maxHops = settings.max_hops ?? DEFAULT_MAX_HOPS;
  const path = new PathRun(spec.target, resolved.text, maxHops, options.names);
  const onProbe = (record: ProbeRecord) => {
    const change = path.observe(record);
    if (change) options.onRouteChange?.(change);
    options.onProbe?.(record);
  };
  const run = await engine.run(
    Array.from({ length: maxHops }, (_, i) => ({
      target: spec.target,
      host: resolved.text,
      hop: i + 1,
    })),
    { ...settings, mode: "path", max_hops: maxHops },
    {
      family: resolved.family,
      lingerMs: options.lingerMs,
      onProbe,
      stagger: false,
    },
  );
  path.attach(run);
  return path;
}
