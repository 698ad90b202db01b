// `deno task agent`: a probe agent for one site. Exits 2 on bad flags, a
// refused token, or no permission to send ICMP; keeps retrying while the
// service is unreachable.
import { hostname } from "node:os";
import { Engine } from "../probe/engine.ts";
import { IcmpPermissionError, ShimLoadError } from "../probe/icmp_errors.ts";
import { AGENT_USAGE, AgentArgsError, parseAgentArgs } from "./agent_args.ts";
import { AgentClient } from "./agent_client.ts";
import { Agent } from "./agent.ts";

function fail(message: string): never {
  console.error(`pla agent: ${message}`);
  Deno.exit(2);
}

let args;
try {
  args = parseAgentArgs(Deno.args, (k) => Deno.env.get(k), () => hostname());
} catch (e) {
  if (!(e instanceof AgentArgsError)) throw e;
  fail(`${e.message}\n${AGENT_USAGE}`);
}

let engine: Engine;
try {
  engine = Engine.create();
} catch (e) {
  fail(
    e instanceof ShimLoadError
      ? e.message
      : `cannot start the probe engine: ${(e as Error).message}`,
  );
}
// Without an ICMP socket for either family nothing can be probed: say how to grant it.
const modes = ([4, 6] as const).map((f) => {
  try {
    return engine.socketMode(f);
  } catch (e) {
    return e as Error;
  }
});
if (modes.every((m) => m instanceof Error)) {
  const perm = modes.find((m) => m instanceof IcmpPermissionError);
  fail((perm ?? modes[0] as Error).message);
}
if (args.bufferDir) {
  const may = Deno.permissions.querySync({
    name: "write",
    path: args.bufferDir,
  }).state === "granted";
  if (!may) {
    // Deno's own message would say to add --allow-write, which a user of the task cannot.
    fail(
      `--buffer-dir: ${args.bufferDir} is outside what this process may write (the agent task may write only under ./data: use e.g. --buffer-dir data/agent, or run agent/agent_cli.ts with --allow-write=DIR)`,
    );
  }
  try {
    Deno.mkdirSync(args.bufferDir, { recursive: true });
  } catch (e) {
    fail(`--buffer-dir: ${(e as Error).message}`);
  }
}

const agent = new Agent({
  client: new AgentClient(args.server, args.token),
  engine,
  name: args.name,
  site: args.site,
  bufferMax: args.bufferMax,
  bufferDir: args.bufferDir,
  log: (line) => console.log(line),
});
const stop = () => agent.stop();
Deno.addSignalListener("SIGINT", stop);
Deno.addSignalListener("SIGTERM", stop);
const refused = await agent.run();
await engine.close();
if (refused) fail(refused.message);
Deno.exit(0);
