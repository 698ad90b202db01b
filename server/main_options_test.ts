import assert from "node:assert/strict";
import { mainOptions } from "./main_options.ts";

const envOf = (vars: Record<string, string>) => (k: string) => vars[k];

Deno.test("defaults: 127.0.0.1:8080, ./data/pla.kv, embedded config", () => {
  assert.deepEqual(mainOptions([], envOf({})), {
    port: 8080,
    hostname: "127.0.0.1",
    kvPath: "./data/pla.kv",
    configFile: undefined,
  });
});

Deno.test("environment and --config", () => {
  const env = envOf({
    PORT: "9000",
    HOST: "::",
    PLA_KV: ":memory:",
    PLA_CONFIG: "a.yaml",
  });
  assert.deepEqual(mainOptions([], env), {
    port: 9000,
    hostname: "::",
    kvPath: ":memory:",
    configFile: "a.yaml",
  });
  assert.equal(mainOptions(["--config", "b.yaml"], env).configFile, "b.yaml");
  assert.equal(mainOptions(["--config=c.yaml"], env).configFile, "c.yaml");
});

Deno.test("bad arguments and ports throw", () => {
  assert.throws(() => mainOptions(["--config"], envOf({})), /needs a file/);
  assert.throws(() => mainOptions(["--config="], envOf({})), /needs a file/);
  assert.throws(
    () => mainOptions(["-x"], envOf({})),
    /^Error: unknown argument "-x" \(the only flag is --config FILE\)$/,
  );
  assert.throws(
    () => mainOptions(["--config=a.yaml", "--port=1"], envOf({})),
    /^Error: unknown argument "--port"/,
  );
  assert.throws(() => mainOptions(["a.yaml"], envOf({})), /unknown argument/);
  assert.throws(() => mainOptions([], envOf({ PORT: "http" })), /PORT/);
  assert.throws(
    () => mainOptions([], envOf({ HOST: "evil.example; rm -rf" })),
    /HOST: not an IP address/,
  );
});

Deno.test("PLA_DATABASE_URL: a postgres URL, else a message without the value", () => {
  const url = "postgres://pla:secret@db:5432/pla";
  assert.equal(
    mainOptions([], envOf({ PLA_DATABASE_URL: url })).databaseUrl,
    url,
  );
  assert.equal(
    mainOptions([], envOf({ PLA_DATABASE_URL: "postgresql://db/pla" }))
      .databaseUrl,
    "postgresql://db/pla",
  );
  assert.throws(
    () =>
      mainOptions([], envOf({ PLA_DATABASE_URL: "mysql://u:secret@db/pla" })),
    (e: Error) =>
      /^PLA_DATABASE_URL: must be a postgres:\/\/ or postgresql:\/\/ URL/.test(
        e.message,
      ) && !e.message.includes("secret"),
  );
});
