// `deno task migrate [--database-url URL] [--from-kv FILE]`: applies the
// schema migrations to PostgreSQL (the URL from the flag or PLA_DATABASE_URL)
// and, with --from-kv, copies a KV file's history into it (kv_copiers.ts).
// Bad flags: one line, exit 2; a failure on the way: one line, exit 1.
import { parseArgs } from "node:util";
import { connectPg, migratePg, redactUrl, type Sql } from "./pg_client.ts";
import { databaseUrlProblem } from "./database_url.ts";
import { KV_COPIERS } from "./kv_copiers.ts";
import { KvStore } from "../kv_store.ts";

const USAGE =
  "usage: deno task migrate [--database-url URL] [--from-kv FILE] (URL default: PLA_DATABASE_URL)";

class UsageError extends Error {}

function options(args: string[]) {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        "database-url": { type: "string" },
        "from-kv": { type: "string" },
        help: { type: "boolean" },
      },
    }));
  } catch (e) {
    const arg = /'([^']*)'/.exec((e as Error).message)?.[1];
    throw new UsageError(
      (e as { code?: string }).code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE"
        ? `${arg ?? "a flag"} needs a value; ${USAGE}`
        : `unknown argument "${arg ?? ""}"; ${USAGE}`,
    );
  }
  if (values.help) return null;
  const url = values["database-url"] ?? Deno.env.get("PLA_DATABASE_URL");
  if (!url) {
    throw new UsageError(
      `no database: give --database-url URL or set PLA_DATABASE_URL; ${USAGE}`,
    );
  }
  const why = databaseUrlProblem(url);
  if (why) throw new UsageError(`--database-url: ${why}`);
  const fromKv = values["from-kv"];
  if (fromKv === "") throw new UsageError(`--from-kv needs a file; ${USAGE}`);
  return { url, fromKv };
}

/** Brings an older KV layout up to date (and ends tests left running) before reading it. */
async function prepareKv(path: string): Promise<void> {
  try {
    if (!(await Deno.stat(path)).isFile) throw new Error("not a file");
  } catch (e) {
    throw new UsageError(
      `--from-kv: ${path}: ${
        e instanceof Deno.errors.NotFound
          ? "no such file"
          : (e as Error).message
      }`,
    );
  }
  try {
    await (await KvStore.open(path, { flushEveryMs: 3_600_000 })).close();
  } catch (e) {
    const hint = e instanceof Deno.errors.NotCapable
      ? " (the migrate task may open KV files only under ./data)"
      : "";
    throw new Error(`cannot open ${path}: ${(e as Error).message}${hint}`);
  }
}

async function copyFromKv(path: string, sql: Sql): Promise<void> {
  await prepareKv(path);
  const kv = await Deno.openKv(path);
  try {
    console.log(`copying ${path} into PostgreSQL`);
    for (const c of KV_COPIERS) {
      const r = await c.copy(kv, sql);
      const parts = [`${r.copied} copied`, ...r.notes];
      if (r.skipped.length) {
        const shown = r.skipped.slice(0, 20).join(", ");
        const more = r.skipped.length > 20
          ? `, and ${r.skipped.length - 20} more`
          : "";
        parts.push(
          `${r.skipped.length} already in PostgreSQL, skipped: ${shown}${more}`,
        );
      }
      console.log(`${c.name}: ${parts.join("; ")}`);
    }
  } finally {
    kv.close();
  }
}

async function main(args: string[]): Promise<number> {
  let opts;
  try {
    opts = options(args);
  } catch (e) {
    console.error(`migrate: ${(e as Error).message}`);
    return 2;
  }
  if (!opts) {
    console.log(USAGE);
    return 0;
  }
  let sql: Sql | null = null;
  try {
    sql = await connectPg(opts.url, { max: 2 });
    const applied = await migratePg(sql);
    console.log(
      `${redactUrl(opts.url)}: ${
        applied.length
          ? `applied schema migrations ${applied.join(", ")}`
          : "schema up to date"
      }`,
    );
    if (opts.fromKv) await copyFromKv(opts.fromKv, sql);
    return 0;
  } catch (e) {
    console.error(`migrate: ${(e as Error).message}`);
    return e instanceof UsageError ? 2 : 1;
  } finally {
    await sql?.end({ timeout: 5 });
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
