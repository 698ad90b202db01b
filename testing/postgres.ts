// A throw-away PostgreSQL cluster for tests and benchmarks: Debian's
// `postgresql` binaries, `initdb` + `pg_ctl` under a temporary directory, run
// as an unprivileged user (PostgreSQL refuses root: as root the cluster runs
// as `nobody` through setpriv), listening on 127.0.0.1 on a free port and on a
// socket in the directory; never a system service. `stop()` removes it all.

import { freePort } from "./server_process.ts";

const BIN_ROOT = "/usr/lib/postgresql";

/** The newest installed PostgreSQL's bin directory, else null. */
export function postgresBin(): string | null {
  try {
    const versions = [...Deno.readDirSync(BIN_ROOT)]
      .map((e) => e.name).filter((n) => /^\d+$/.test(n))
      .sort((a, b) => Number(b) - Number(a));
    for (const v of versions) {
      const bin = `${BIN_ROOT}/${v}/bin`;
      try {
        Deno.statSync(`${bin}/initdb`);
        return bin;
      } catch { /* next */ }
    }
  } catch { /* not installed */ }
  return null;
}

/** Why a PostgreSQL test cannot run here, or null when it can. */
export function postgresUnavailableReason(): string | null {
  if (Deno.build.os !== "linux") return "PostgreSQL test clusters need Linux";
  if (!postgresBin()) {
    return "PostgreSQL is not installed (apt-get install postgresql)";
  }
  if (Deno.uid() === 0) {
    try {
      Deno.statSync("/usr/bin/setpriv");
    } catch {
      return "running as root needs setpriv (util-linux) to start PostgreSQL as nobody";
    }
  }
  return null;
}

export interface PgCluster {
  /** postgres://pla@127.0.0.1:PORT/pla (trust auth: a throw-away cluster). */
  url: string;
  port: number;
  dir: string;
  /** Another empty database on the same cluster; returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** Stops the server (immediate mode) and deletes the directory. */
  stop(): Promise<void>;
}

/** A command line run as the clusters' user: `nobody` when this is root (PostgreSQL refuses root). */
export function asClusterUser(argv: string[]): string[] {
  return Deno.uid() === 0
    ? [
      "/usr/bin/setpriv",
      "--reuid=nobody",
      "--regid=nogroup",
      "--clear-groups",
      ...argv,
    ]
    : argv;
}

async function run(argv: string[], what: string): Promise<string> {
  const cmd = asClusterUser(argv);
  const out = await new Deno.Command(cmd[0], {
    args: cmd.slice(1),
    stdout: "piped",
    stderr: "piped",
    env: { LC_ALL: "C", LANG: "C" },
  }).output();
  const text = new TextDecoder().decode(out.stdout) +
    new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`${what} failed: ${text.trim()}`);
  return text;
}

/** Starts a fresh cluster with a database `pla` owned by user `pla`. */
export async function startPostgres(): Promise<PgCluster> {
  const bin = postgresBin();
  if (!bin) throw new Error("PostgreSQL is not installed");
  const dir = await Deno.makeTempDir({ prefix: "pla-pg-" });
  if (Deno.uid() === 0) {
    await Deno.chown(dir, 65534, 65534);
    await Deno.chmod(dir, 0o700);
  }
  const data = `${dir}/data`;
  await run([
    `${bin}/initdb`,
    "-D",
    data,
    "-U",
    "pla",
    "--auth=trust",
    "--no-sync",
    "-E",
    "UTF8",
  ], "initdb");
  const port = freePort();
  // Durability off: a throw-away cluster; speed matters more than a crash.
  const opts = [
    `-p ${port}`,
    `-k ${dir}`,
    "-c listen_addresses=127.0.0.1",
    "-c fsync=off",
    "-c synchronous_commit=off",
    "-c full_page_writes=off",
    "-c max_connections=200",
  ].join(" ");
  await run([
    `${bin}/pg_ctl`,
    "-D",
    data,
    "-l",
    `${dir}/log`,
    "-o",
    opts,
    "-w",
    "-t",
    "30",
    "start",
  ], "pg_ctl start");
  const cluster: PgCluster = {
    url: `postgres://pla@127.0.0.1:${port}/pla`,
    port,
    dir,
    async createDatabase(name) {
      if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) {
        throw new Error(`bad database name ${name}`);
      }
      await run([
        `${bin}/createdb`,
        "-h",
        "127.0.0.1",
        "-p",
        String(port),
        "-U",
        "pla",
        name,
      ], "createdb");
      return `postgres://pla@127.0.0.1:${port}/${name}`;
    },
    async stop() {
      try {
        await run([
          `${bin}/pg_ctl`,
          "-D",
          data,
          "-m",
          "immediate",
          "-w",
          "stop",
        ], "pg_ctl stop");
      } finally {
        await Deno.remove(dir, { recursive: true }).catch(() => {});
      }
    },
  };
  await cluster.createDatabase("pla");
  return cluster;
}
