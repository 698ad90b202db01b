// A gated suite that cannot run skips with its reason, except under CI=true,
// where the run fails instead (checked through a real `deno test` child).
import assert from "node:assert/strict";
import { runCommand } from "./run_command.ts";

const SUITE = new URL("./gate_fixture.ts", import.meta.url).pathname;

async function runSuite(ci: string | null) {
  const env: Record<string, string> = {};
  if (ci !== null) env.CI = ci;
  const out = await runCommand(Deno.execPath(), [
    "test",
    "--allow-env",
    SUITE,
  ], { env, clearEnv: true });
  return { code: out.code, text: out.stdout + out.stderr };
}

Deno.test("outside CI a gated suite that cannot run is skipped with its reason", async () => {
  const { code, text } = await runSuite(null);
  assert.equal(code, 0, text);
  assert.match(text, /fixture suite skipped: no such thing here/);
  assert.match(text, /1 ignored/);
});

Deno.test("under CI=true the same suite fails the run, naming what is missing", async () => {
  const { code, text } = await runSuite("true");
  assert.notEqual(code, 0, text);
  assert.match(text, /fixture suite would be skipped: no such thing here/);
});
