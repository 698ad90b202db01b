// `deno task hash-password` and `deno task token`: print the line to paste
// into the config's auth section. Passwords are read from stdin (never from
// the command line, which other users and shell history can see).
import { parseArgs } from "node:util";
import { ROLES } from "./auth_config.ts";
import {
  DEFAULT_ITERATIONS,
  hashPassword,
  MIN_ITERATIONS,
  newToken,
  sha256Hex,
} from "./password.ts";
import { USER_NAME } from "./auth_config.ts";
import { SITE_NAME } from "../../model/agent.ts";

export const USAGE = `Usage:
  deno task hash-password [--iterations N]   reads the password from stdin
  deno task token --name NAME --role viewer|operator|admin [--user USER]
  deno task token --name NAME --role agent --site SITE`;

export class CliError extends Error {}

/** Runs one command; returns what to print on stdout. */
export async function hashCli(
  args: string[],
  readPassword: () => Promise<string>,
): Promise<string> {
  const [command, ...rest] = args;
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      options: {
        iterations: { type: "string" },
        name: { type: "string" },
        role: { type: "string" },
        user: { type: "string" },
        site: { type: "string" },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  if (command === "hash-password") {
    const text = parsed.iterations ?? String(DEFAULT_ITERATIONS);
    const iterations = Number(text);
    if (!/^[0-9]{1,8}$/.test(text) || iterations < MIN_ITERATIONS) {
      throw new CliError(
        `--iterations: a whole number of at least ${MIN_ITERATIONS}`,
      );
    }
    const password = await readPassword();
    if (password.length < 8 || password.length > 1024) {
      throw new CliError("password: 8 to 1024 characters");
    }
    return `password_hash: "${await hashPassword(password, iterations)}"`;
  }
  if (command === "token") {
    const { name, role, user, site } = parsed;
    for (const [flag, v] of [["--name", name], ["--user", user]]) {
      if (v !== undefined && !USER_NAME.test(v)) {
        throw new CliError(`${flag}: 1-64 letters, digits or . _ @ + -`);
      }
    }
    if (!name) throw new CliError("--name is required");
    if (!ROLES.includes(role as typeof ROLES[number])) {
      // People's roles first, lowest up; agent (for probe agents) last.
      const listed = [...ROLES.filter((r) => r !== "agent"), "agent"];
      throw new CliError(`--role: one of ${listed.join(", ")}`);
    }
    if (role === "agent" && site === undefined) {
      throw new CliError("--site is required with --role agent");
    }
    if (role !== "agent" && site !== undefined) {
      throw new CliError("--site is for --role agent only");
    }
    if (site !== undefined && !SITE_NAME.test(site)) {
      throw new CliError(
        "--site: 1-63 lowercase letters, digits, '_' or '-', starting with a letter or digit",
      );
    }
    const token = newToken();
    const entry = `{ name: ${name}, ${
      user ? `user: ${user}, ` : ""
    }role: ${role}, ${site ? `site: ${site}, ` : ""}sha256: "${await sha256Hex(
      token,
    )}" }`;
    return `# The token, for the client (Authorization: Bearer ...); it is stored nowhere:\n# ${token}\n# Under auth.tokens in the config:\n- ${entry}`;
  }
  throw new CliError(USAGE);
}

async function readStdinPassword(): Promise<string> {
  if (Deno.stdin.isTerminal()) {
    // No echo: raw mode, read up to Enter.
    await Deno.stderr.write(new TextEncoder().encode("Password: "));
    Deno.stdin.setRaw(true);
    const bytes: number[] = [];
    const buf = new Uint8Array(1);
    try {
      while ((await Deno.stdin.read(buf)) === 1) {
        if (buf[0] === 13 || buf[0] === 10) break;
        if (buf[0] === 3) throw new CliError("cancelled");
        if (buf[0] === 127) bytes.pop();
        else bytes.push(buf[0]);
      }
    } finally {
      Deno.stdin.setRaw(false);
      await Deno.stderr.write(new TextEncoder().encode("\n"));
    }
    return new TextDecoder().decode(new Uint8Array(bytes));
  }
  const text = await new Response(Deno.stdin.readable).text();
  return text.replace(/\r?\n$/, "");
}

if (import.meta.main) {
  try {
    console.log(await hashCli(Deno.args, readStdinPassword));
  } catch (e) {
    console.error(e instanceof CliError ? e.message : e);
    Deno.exit(2);
  }
}
