// The one PostgreSQL connection pool of a process (npm:postgres) and the
// versioned schema: migrations are applied in order at start-up (and by
// `deno task migrate`), each in its own transaction, under an advisory lock so
// replicas starting together apply each exactly once.
import postgres from "postgres";
import { MIGRATIONS } from "./migrations.ts";

export type Sql = postgres.Sql;

/** Any number; the same in every replica. */
const MIGRATION_LOCK = 0x706c6100;

export interface PgOptions {
  /** Pool size; default 10. */
  max?: number;
}

/** Hides the password of a URL for messages and logs. */
export function redactUrl(url: string): string {
  return url.replace(/(\/\/[^:/@]+:)[^@]*@/, "$1***@");
}

/** Opens a pool on `url` and checks that the server answers. */
export async function connectPg(
  url: string,
  options: PgOptions = {},
): Promise<Sql> {
  const sql = postgres(url, {
    max: options.max ?? 10,
    onnotice: () => {},
    // Big integers (bigint ids, counts) as JS numbers: every value we store fits.
    types: {
      bigint: {
        to: 20,
        from: [20],
        serialize: (x: number) => String(x),
        parse: (x: string) => Number(x),
      },
    },
    connection: { application_name: "packet-loss-analyzer" },
  });
  try {
    await sql`select 1`;
  } catch (e) {
    await sql.end({ timeout: 1 }).catch(() => {});
    throw new Error(
      `cannot connect to PostgreSQL at ${redactUrl(url)}: ${
        (e as Error).message
      }`,
    );
  }
  return sql;
}

/** Applies the migrations not yet applied; returns the versions it applied. */
export async function migratePg(sql: Sql): Promise<number[]> {
  const applied: number[] = [];
  await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${MIGRATION_LOCK})`;
    await tx`create table if not exists pla_schema_migrations (
      version integer primary key,
      name text not null,
      applied_at timestamptz not null default now()
    )`;
    const done = new Set(
      (await tx<{ version: number }[]>`
        select version from pla_schema_migrations`).map((r) => r.version),
    );
    for (const m of MIGRATIONS) {
      if (done.has(m.version)) continue;
      await tx.unsafe(m.sql);
      await tx`insert into pla_schema_migrations (version, name)
        values (${m.version}, ${m.name})`;
      applied.push(m.version);
    }
  });
  return applied;
}

/** connectPg + migratePg: what the service does at start-up. */
export async function openPg(
  url: string,
  options: PgOptions = {},
): Promise<Sql> {
  const sql = await connectPg(url, options);
  try {
    await migratePg(sql);
  } catch (e) {
    await sql.end({ timeout: 1 }).catch(() => {});
    throw new Error(
      `PostgreSQL schema migration failed: ${(e as Error).message}`,
    );
  }
  return sql;
}
