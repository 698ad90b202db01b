// A probe agent: takes runs for its site from the service (long poll, outbound
// only), runs them on the local engine and sends every record home numbered,
// resending from the last acknowledgement after any failure (backoff 1-10 s),
// so each arrives exactly once.
import type { AgentAssignment, AgentDone } from "../model/agent.ts";
import type { Engine, ProbeRun } from "../probe/engine.ts";
import { AgentAuthError, type AgentClient } from "./agent_client.ts";
import { BufferFullError, ResultBuffer } from "./result_buffer.ts";

export const AGENT_VERSION = "1";
/** Records per results request (the service takes up to 4 MiB). */
const BATCH = 5000;
/** How long new records wait to travel together. */
const SEND_EVERY_MS = 100;
const MEM_RECORDS = 100_000;

export interface AgentOptions {
  client: AgentClient;
  engine: Engine;
  name: string;
  site: string;
  bufferMax: number;
  bufferDir?: string;
  log: (line: string) => void;
  /** Poll hold time asked for; default 20 s. */
  waitMs?: number;
}

interface LocalRun {
  assignment: AgentAssignment;
  buffer: ResultBuffer;
  run: ProbeRun | null;
  error?: string;
  done?: AgentDone;
  cancelled: boolean;
  /** Wakes the sender early (the run ended). */
  nudge?: () => void;
}

/** Retry delays: 1 s doubling up to 10 s. */
export class Backoff {
  #ms = 0;
  next(): number {
    this.#ms = Math.min(10_000, this.#ms ? this.#ms * 2 : 1000);
    return this.#ms;
  }
  reset(): void {
    this.#ms = 0;
  }
}

export class Agent {
  readonly #o: AgentOptions;
  readonly #runs = new Map<string, LocalRun>();
  readonly #ac = new AbortController();
  #fatal?: AgentAuthError;
  #unreachable = false;
  readonly #senders = new Set<Promise<void>>();

  constructor(o: AgentOptions) {
    this.#o = o;
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((r) => {
      const t = setTimeout(r, ms);
      this.#ac.signal.addEventListener("abort", () => {
        clearTimeout(t);
        r();
      }, { once: true });
    });
  }

  /** A failed call: fatal for auth, else logged once per outage. */
  #failed(e: unknown): void {
    if (e instanceof AgentAuthError) {
      this.#fatal = e;
      this.#ac.abort();
      return;
    }
    if (!this.#unreachable) {
      this.#o.log(`agent: ${(e as Error).message}; retrying`);
      this.#unreachable = true;
    }
  }

  #reached(): void {
    if (this.#unreachable) this.#o.log("agent: connected again");
    this.#unreachable = false;
  }

  /** Polls until stopped or refused; resolves with the refusal, if any. */
  async run(): Promise<AgentAuthError | undefined> {
    const backoff = new Backoff();
    const { client, name, site } = this.#o;
    this.#o.log(`agent ${name}: serving site ${site} for ${client.server}`);
    while (!this.#ac.signal.aborted) {
      try {
        const work = await client.poll({
          agent: name,
          version: AGENT_VERSION,
          site,
          running: [...this.#runs.keys()],
          wait_ms: this.#o.waitMs ?? 20_000,
        }, this.#ac.signal);
        this.#reached();
        backoff.reset();
        for (const a of work.assignments) this.#start(a);
        for (const c of work.cancellations) this.#cancel(c.run_key);
      } catch (e) {
        if (this.#ac.signal.aborted) break;
        this.#failed(e);
        if (this.#fatal) break;
        await this.#sleep(backoff.next());
      }
    }
    for (const r of this.#runs.values()) r.run?.stop();
    await Promise.all(this.#senders);
    return this.#fatal;
  }

  stop(): void {
    this.#ac.abort();
  }

  #start(a: AgentAssignment): void {
    if (this.#runs.has(a.run_key)) return;
    const local: LocalRun = {
      assignment: a,
      buffer: new ResultBuffer(
        this.#o.bufferMax,
        this.#o.bufferDir
          ? Math.min(MEM_RECORDS, this.#o.bufferMax)
          : this.#o.bufferMax,
        this.#o.bufferDir,
        a.run_key.replace(/[^A-Za-z0-9._-]/g, "_"),
      ),
      run: null,
      cancelled: false,
    };
    this.#runs.set(a.run_key, local);
    this.#o.log(
      `agent: run ${a.run_key} (test ${a.test_id}): ${a.targets.length} target(s)`,
    );
    const finish = (run: ProbeRun | null) => {
      local.done = {
        seq: local.buffer.lastSeq,
        stopped: local.cancelled || (run?.stopped ?? false),
        ...(local.error ? { error: local.error } : {}),
        ...(run && !local.error
          ? { stats: run.targets.map((_, i) => run.stats(i)) }
          : {}),
      };
      local.nudge?.();
    };
    this.#o.engine.run(a.targets, a.settings, {
      onProbe: (r) => {
        if (local.error) return;
        try {
          local.buffer.push(r);
        } catch (e) {
          if (!(e instanceof BufferFullError)) throw e;
          local.error = e.message;
          local.run?.stop();
        }
      },
    }).then(async (run) => {
      local.run = run;
      if (local.cancelled || local.error) run.stop();
      await run.done;
      finish(run);
    }).catch((e) => {
      local.error = `agent ${this.#o.name}: ${(e as Error).message}`;
      finish(null);
    });
    const sender = this.#send(local).finally(() => {
      this.#senders.delete(sender);
    });
    this.#senders.add(sender);
  }

  #cancel(runKey: string): void {
    const local = this.#runs.get(runKey);
    if (!local) return; // already finished here
    local.cancelled = true;
    local.run?.stop();
  }

  /** Sends the run's records until the service has them all and its end. */
  async #send(local: LocalRun): Promise<void> {
    const backoff = new Backoff();
    const key = local.assignment.run_key;
    const { buffer } = local;
    try {
      // Until the service has it all; on shutdown the stopped run still ends
      // (within its timeout) and is sent once more.
      while (!this.#fatal) {
        const batch = buffer.next(BATCH);
        const ending = local.done && buffer.unacked === batch.length;
        if (!batch.length && !local.done) {
          await new Promise<void>((r) => {
            local.nudge = r;
            setTimeout(r, SEND_EVERY_MS);
          });
          continue;
        }
        try {
          const ack = await this.#o.client.results({
            agent: this.#o.name,
            run_key: key,
            records: batch,
            ...(ending ? { done: local.done } : {}),
          });
          this.#reached();
          backoff.reset();
          buffer.ack(ack.acked);
          if (ack.closed) {
            local.run?.stop();
            if (local.done || ending) break;
            // The service dropped the run (test gone): stop, keep nothing more.
            local.cancelled = true;
            local.error ??= "dropped by the service";
            break;
          }
        } catch (e) {
          this.#failed(e);
          // Shutting down: one last try only (the service keeps what it has).
          if (this.#fatal || this.#ac.signal.aborted) return;
          await this.#sleep(backoff.next());
        }
        if (!ending && batch.length < BATCH) await this.#sleep(SEND_EVERY_MS);
      }
    } finally {
      buffer.dispose();
      this.#runs.delete(key);
      this.#o.log(`agent: run ${key} delivered (${buffer.acked} records)`);
    }
  }
}
