// The AgentBus of replicas sharing one PostgreSQL database: an agent may poll
// and report through any replica; the records land in pla_agent_inbox (each
// (run_key, seq) once, in order, under the run row's lock) and the replica
// that owns the run reads them on NOTIFY pla_agent_inbox (and every
// `drainEveryMs`, should a notification be missed).
import type {
  AgentAssignment,
  AgentDone,
  AgentInfo,
  AgentWork,
} from "../../model/agent.ts";
import type { ProbeRecord } from "../../model/probe.ts";
import type { Sql } from "../store/pg/pg_client.ts";
import type {
  AgentBus,
  AgentBusOptions,
  DeliverResult,
  InboxEnd,
  InboxSink,
  PollFrom,
  RunState,
} from "./agent_bus.ts";

const INBOX = "pla_agent_inbox";
const WORK = "pla_agent_work";
/** Inbox rows handed to a sink per read. */
const READ = 10_000;

interface Owned {
  sink: InboxSink;
  consumed: number;
  ended: boolean;
  /** Serializes reads of this run's inbox. */
  chain: Promise<void>;
}

interface RunRow {
  run_key: string;
  assignment: AgentAssignment;
  claimed_by: string | null;
  started: boolean;
  cancelled: boolean;
  closed: boolean;
  acked: number;
}

export class PgAgentBus implements AgentBus {
  readonly #sql: Sql;
  readonly #offlineMs: number;
  readonly #owned = new Map<string, Owned>();
  readonly #waiters = new Set<{ site: string; wake: () => void }>();
  readonly #unlisten: (() => Promise<void>)[] = [];
  #timer?: ReturnType<typeof setInterval>;

  private constructor(sql: Sql, o: AgentBusOptions) {
    this.#sql = sql;
    this.#offlineMs = o.offlineAfterMs;
  }

  /** Listens on the bus's channels; `drainEveryMs` (default 1000) is the fallback read. */
  static async open(
    sql: Sql,
    o: AgentBusOptions & { drainEveryMs?: number },
  ): Promise<PgAgentBus> {
    const bus = new PgAgentBus(sql, o);
    const a = await sql.listen(INBOX, (key) => bus.#drain(key));
    const b = await sql.listen(WORK, (site) => bus.#wake(site));
    bus.#unlisten.push(() => a.unlisten(), () => b.unlisten());
    bus.#timer = setInterval(() => {
      for (const key of bus.#owned.keys()) bus.#drain(key);
    }, o.drainEveryMs ?? 1000);
    return bus;
  }

  /** Stops listening and waits for inbox reads in flight (the process's end). */
  async shutdown(): Promise<void> {
    clearInterval(this.#timer);
    for (const w of this.#waiters) w.wake();
    await Promise.all(this.#unlisten.map((u) => u().catch(() => {})));
    await Promise.all([...this.#owned.values()].map((o) => o.chain));
  }

  #wake(site: string): void {
    for (const w of this.#waiters) if (w.site === site) w.wake();
  }

  /** Hands the run's new inbox rows (and then its end) to its sink, in seq order. */
  #drain(key: string): void {
    const o = this.#owned.get(key);
    if (!o) return;
    o.chain = o.chain.then(async () => {
      for (;;) {
        if (o.ended || this.#owned.get(key) !== o) return;
        const rows = await this.#sql<{ seq: number; record: ProbeRecord }[]>`
          select seq, record from pla_agent_inbox
          where run_key = ${key} and seq > ${o.consumed}
          order by seq limit ${READ}`;
        if (rows.length) {
          o.consumed = rows[rows.length - 1].seq;
          o.sink.records(rows.map((r) => r.record));
          await this.#sql`delete from pla_agent_inbox
            where run_key = ${key} and seq <= ${o.consumed}`;
        }
        if (rows.length === READ) continue;
        const [run] = await this.#sql<{ done: AgentDone | null }[]>`
          select done from pla_agent_runs where run_key = ${key} and closed`;
        if (run?.done && run.done.seq <= o.consumed) {
          o.ended = true;
          o.sink.done(run.done);
        }
        return;
      }
    }).catch((e) => console.error(`agent run ${key}: inbox read failed:`, e));
  }

  async assign(
    site: string,
    assignment: AgentAssignment,
    sink: InboxSink,
  ): Promise<void> {
    this.#owned.set(assignment.run_key, {
      sink,
      consumed: 0,
      ended: false,
      chain: Promise.resolve(),
    });
    await this.#sql`insert into pla_agent_runs (run_key, site, assignment)
      values (${assignment.run_key}, ${site}, ${this.#sql.json(assignment)})`;
    await this.#sql`select pg_notify(${WORK}, ${site})`;
  }

  async cancel(runKey: string): Promise<void> {
    const [run] = await this.#sql<{ site: string }[]>`
      update pla_agent_runs set cancelled = true
      where run_key = ${runKey} returning site`;
    if (run) await this.#sql`select pg_notify(${WORK}, ${run.site})`;
  }

  async close(runKey: string): Promise<void> {
    this.#owned.delete(runKey);
    await this.#sql`delete from pla_agent_runs where run_key = ${runKey}`;
  }

  async #seen(agent: string, site: string, version?: string): Promise<void> {
    await this.#sql`insert into pla_agents (name, site, version)
      values (${agent}, ${site}, ${version ?? ""})
      on conflict (name) do update set site = excluded.site, seen_at = now()
      ${
      version === undefined
        ? this.#sql``
        : this.#sql`, version = excluded.version`
    }`;
  }

  async #workFor(from: PollFrom): Promise<AgentWork> {
    const work: AgentWork = { assignments: [], cancellations: [] };
    const running = new Set(from.running);
    const lost: string[] = [];
    await this.#sql.begin(async (tx) => {
      const runs = await tx<RunRow[]>`
        select run_key, assignment, claimed_by, started, cancelled, closed, acked
        from pla_agent_runs where site = ${from.site} order by created_at
        for update`;
      const known = new Set<string>();
      for (const run of runs) {
        const key = run.run_key;
        known.add(key);
        const mine = run.claimed_by === from.agent;
        if (running.has(key)) {
          if (mine && !run.started) {
            await tx`update pla_agent_runs set started = true where run_key = ${key}`;
          }
          if (mine && run.cancelled) work.cancellations.push({ run_key: key });
          continue;
        }
        if (run.closed || run.cancelled) continue;
        if (run.claimed_by === null || (mine && !run.started)) {
          await tx`update pla_agent_runs set claimed_by = ${from.agent}
            where run_key = ${key}`;
          work.assignments.push(run.assignment);
        } else if (mine) {
          const done: InboxEnd = {
            seq: run.acked,
            stopped: false,
            lost: true,
            error:
              `agent ${from.agent} lost the run (restarted?); ${run.acked} probe records kept`,
          };
          await tx`update pla_agent_runs set closed = true,
            done = ${tx.json(done)} where run_key = ${key}`;
          lost.push(key);
        }
      }
      const others = from.running.filter((k) => !known.has(k));
      if (others.length) {
        const exist = new Set(
          (await tx<{ run_key: string }[]>`select run_key from pla_agent_runs
            where run_key = any(${others})`).map((r) => r.run_key),
        );
        for (const k of others) {
          if (!exist.has(k)) work.cancellations.push({ run_key: k });
        }
      }
      for (const key of lost) await tx`select pg_notify(${INBOX}, ${key})`;
    });
    return work;
  }

  async take(
    from: PollFrom,
    waitMs: number,
    signal?: AbortSignal,
  ): Promise<AgentWork> {
    const deadline = Date.now() + waitMs;
    // Held polls keep the agent's last contact fresh for the other replicas.
    const beat = Math.max(50, Math.min(1000, this.#offlineMs / 3));
    await this.#seen(from.agent, from.site, from.version);
    try {
      for (;;) {
        const work = await this.#workFor(from);
        const left = deadline - Date.now();
        if (
          work.assignments.length || work.cancellations.length || left <= 0 ||
          signal?.aborted
        ) return work;
        await new Promise<void>((resolve) => {
          const waiter = { site: from.site, wake: () => done() };
          const timer = setTimeout(() => done(), Math.min(left, beat));
          const done = () => {
            clearTimeout(timer);
            this.#waiters.delete(waiter);
            signal?.removeEventListener("abort", done);
            resolve();
          };
          this.#waiters.add(waiter);
          signal?.addEventListener("abort", done);
        });
        await this.#seen(from.agent, from.site);
      }
    } finally {
      await this.#seen(from.agent, from.site).catch(() => {});
    }
  }

  async deliver(
    agent: string,
    runKey: string,
    firstSeq: number,
    records: ProbeRecord[],
    done?: AgentDone,
    site?: string,
  ): Promise<DeliverResult> {
    return await this.#sql.begin(async (tx): Promise<DeliverResult> => {
      const [run] = await tx<
        {
          site: string;
          claimed_by: string | null;
          acked: number;
          closed: boolean;
        }[]
      >`select site, claimed_by, acked, closed from pla_agent_runs
        where run_key = ${runKey} for update`;
      if (
        !run || (run.claimed_by !== null && run.claimed_by !== agent) ||
        (site !== undefined && run.site !== site)
      ) {
        return { kind: "unknown" };
      }
      await tx`insert into pla_agents (name, site) values (${agent}, ${run.site})
        on conflict (name) do update set site = excluded.site, seen_at = now()`;
      if (run.closed) return { kind: "acked", acked: run.acked, closed: true };
      if (firstSeq > run.acked + 1) {
        return { kind: "gap", acked: run.acked, closed: false };
      }
      const fresh = records.slice(run.acked + 1 - firstSeq);
      const acked = run.acked + fresh.length;
      if (fresh.length) {
        const seqs = fresh.map((_, i) => run.acked + 1 + i);
        const texts = fresh.map((r) => JSON.stringify(r));
        await tx`insert into pla_agent_inbox (run_key, seq, record)
          select ${runKey}, s, r::jsonb
          from unnest(${seqs}::bigint[], ${texts}::text[]) as t(s, r)
          on conflict do nothing`;
      }
      const closed = !!done && done.seq <= acked;
      await tx`update pla_agent_runs set acked = ${acked}, claimed_by = ${agent},
        started = true, closed = ${closed},
        done = ${closed ? tx.json(done!) : null}
        where run_key = ${runKey}`;
      if (fresh.length || closed) {
        await tx`select pg_notify(${INBOX}, ${runKey})`;
      }
      return { kind: "acked", acked, closed };
    });
  }

  async runState(runKey: string): Promise<RunState> {
    const [r] = await this.#sql<
      {
        claimed_by: string | null;
        started: boolean;
        site: string;
        online: boolean | null;
      }[]
    >`select r.claimed_by, r.started, r.site,
        a.seen_at > now() - ${this.#offlineMs} * interval '1 millisecond' as online
      from pla_agent_runs r left join pla_agents a on a.name = r.claimed_by
      where r.run_key = ${runKey}`;
    if (!r) return { agent: null, started: false, online: false };
    return {
      agent: r.claimed_by,
      started: r.started,
      online: r.claimed_by ? !!r.online : await this.siteOnline(r.site),
    };
  }

  async siteOnline(site: string): Promise<boolean> {
    const [r] = await this.#sql<{ online: boolean }[]>`
      select exists(select 1 from pla_agents where site = ${site}
        and seen_at > now() - ${this.#offlineMs} * interval '1 millisecond') as online`;
    return r.online;
  }

  async agents(): Promise<AgentInfo[]> {
    const rows = await this.#sql<
      {
        name: string;
        site: string;
        version: string;
        seen_at: Date;
        online: boolean;
      }[]
    >`select name, site, version, seen_at,
        seen_at > now() - ${this.#offlineMs} * interval '1 millisecond' as online
      from pla_agents order by site, name`;
    return rows.map((r) => ({
      name: r.name,
      site: r.site,
      version: r.version,
      last_seen: r.seen_at.toISOString(),
      online: r.online,
    }));
  }
}
