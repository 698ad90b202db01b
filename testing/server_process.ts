// TEST-ONLY: the real server (server/main.ts) as a child process on a free
// loopback port, and small HTTP/SSE helpers for the cross-process tests.
import assert from "node:assert/strict";
import { readSse } from "./sse.ts";
import { startArgs } from "./deno_flags.ts";

export const ROOT = new URL("..", import.meta.url).pathname;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/**
 * Test servers listen on loopback only, open to anyone there: a config file
 * without an auth section gets `auth: { mode: open }` (else it would ask for
 * sign-in).
 */
function withOpenAuth(yaml: string): string {
  if (/^auth:/m.test(yaml)) return yaml;
  return `${yaml.trimEnd()}\nauth: { mode: open }\n`;
}

export interface ServerOptions {
  /** Directory the server may write (KV lives here unless `kvPath`). */
  dir: string;
  port?: number;
  kvPath?: string;
  /** YAML written to `dir`/config.yaml and passed with --config. */
  config?: string;
  /** Wraps the deno command line, e.g. to run it in a mount namespace. */
  wrap?: (cmd: string[]) => string[];
  /** Extra --v8-flags (e.g. a heap limit). */
  v8Flags?: string;
  /** More environment (e.g. PLA_DATABASE_URL). */
  env?: Record<string, string>;
}

export interface Server {
  base: string;
  port: number;
  child: Deno.ChildProcess;
  exited: Promise<Deno.CommandStatus>;
  /** Everything written to stdout and stderr so far. */
  output(): string;
}

/** Starts the server and waits for its "listening" line. */
export async function startServer(opts: ServerOptions): Promise<Server> {
  const port = opts.port ?? freePort();
  const args = [];
  if (opts.config !== undefined) {
    await Deno.writeTextFile(
      `${opts.dir}/config.yaml`,
      withOpenAuth(opts.config),
    );
    args.push("--config", `${opts.dir}/config.yaml`);
  }
  // The start task's permissions, reading and writing `dir` besides.
  const cmd = [
    Deno.execPath(),
    ...startArgs({
      read: [opts.dir],
      write: [opts.dir],
      v8Flags: opts.v8Flags,
    }),
    ...args,
  ];
  const [exe, ...rest] = opts.wrap ? opts.wrap(cmd) : cmd;
  const child = new Deno.Command(exe, {
    args: rest,
    cwd: ROOT,
    env: {
      PORT: String(port),
      PLA_KV: opts.kvPath ?? `${opts.dir}/pla.kv`,
      ...opts.env,
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  const drain = async (stream: ReadableStream<Uint8Array>) => {
    const dec = new TextDecoder();
    try {
      for await (const chunk of stream) {
        text += dec.decode(chunk, { stream: true });
      }
    } catch { /* killed */ }
  };
  const drained = Promise.all([drain(child.stdout), drain(child.stderr)]);
  const exited = child.status.then(async (s) => (await drained, s));
  const server: Server = {
    base: `http://127.0.0.1:${port}`,
    port,
    child,
    exited,
    output: () => text,
  };
  let gone = false;
  exited.then(() => gone = true);
  const deadline = Date.now() + 30_000;
  while (!text.includes('"listening"')) {
    if (gone) throw new Error(`server exited before listening:\n${text}`);
    if (Date.now() > deadline) {
      await stopServer(server, "SIGKILL");
      throw new Error(`server did not start:\n${text}`);
    }
    await sleep(20);
  }
  return server;
}

export async function stopServer(
  s: Server,
  signal: Deno.Signal = "SIGTERM",
): Promise<Deno.CommandStatus> {
  try {
    s.child.kill(signal);
  } catch { /* already gone */ }
  return await s.exited;
}

export async function getJson(
  url: string,
): Promise<Record<string, unknown> & { status_code: number }> {
  const res = await fetch(url);
  return { ...(await res.json()), status_code: res.status };
}

/**
 * Polls the test every `everyMs` until it is no longer running (calling
 * `onPoll` between polls) and returns its metadata; throws after `ms`.
 */
export async function waitForTestEnd(
  base: string,
  id: string,
  ms: number,
  { everyMs = 200, onPoll }: {
    everyMs?: number;
    onPoll?: () => Promise<void>;
  } = {},
): Promise<Record<string, unknown> & { status_code: number }> {
  const end = Date.now() + ms;
  for (;;) {
    const meta = await getJson(`${base}/api/tests/${id}`);
    if (meta.status !== "running") return meta;
    if (Date.now() > end) {
      throw new Error(`test ${id} still running after ${ms} ms`);
    }
    await onPoll?.();
    await sleep(everyMs);
  }
}

export async function postTest(base: string, body: unknown): Promise<string> {
  const res = await fetch(`${base}/api/tests`, {
    method: "POST",
    body: JSON.stringify(body),
    headers: { "content-type": "application/json" },
  });
  const json = await res.json();
  assert.equal(res.status, 201, JSON.stringify(json));
  return json.id;
}

export interface SseEvent {
  id: number;
  event: string;
  data: Record<string, unknown>;
}

/**
 * Reads SSE events until `end`, `max` events or the stream closes; `onEvent`
 * sees each as it arrives.
 */
export async function readEvents(
  url: string,
  opts: {
    lastEventId?: number;
    max?: number;
    onEvent?: (e: SseEvent) => void;
    signal?: AbortSignal;
  } = {},
): Promise<SseEvent[]> {
  const ac = new AbortController();
  opts.signal?.addEventListener("abort", () => ac.abort());
  const out: SseEvent[] = [];
  const max = opts.max ?? Infinity;
  try {
    await readSse(
      url,
      (events) => {
        for (const m of events) {
          const e = { ...m, data: JSON.parse(m.data) };
          out.push(e);
          opts.onEvent?.(e);
          if (e.event === "end" || out.length >= max) return true;
        }
      },
      undefined,
      {
        signal: ac.signal,
        headers: opts.lastEventId !== undefined
          ? { "last-event-id": String(opts.lastEventId) }
          : {},
      },
    );
    return out;
  } catch (e) {
    if (ac.signal.aborted) return out;
    throw e;
  } finally {
    ac.abort();
  }
}

/** Every stored probe of a test, through the paginated samples route. */
export async function allSamples(
  base: string,
  id: string,
  limit = 10_000,
): Promise<{ index: number; target: string; status: string }[]> {
  const probes = [];
  let cursor = "";
  for (let page = 0; page < 10_000; page++) {
    const res = await fetch(
      `${base}/api/tests/${id}/samples?limit=${limit}&cursor=${cursor}`,
    );
    assert.equal(res.status, 200);
    const body = await res.json();
    probes.push(...body.probes);
    if (!body.has_more) break;
    cursor = body.next_cursor;
  }
  return probes;
}
