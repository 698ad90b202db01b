// What main.ts says about authentication at start-up, and when it refuses to
// start: the embedded default config is open, so it is served on loopback only.
import { parseAddress } from "../probe/ip_address.ts";
import type { Config } from "./config/config.ts";

export function isLoopbackHost(host: string): boolean {
  if (host.toLowerCase() === "localhost") return true;
  const a = parseAddress(host);
  if (!a) return false;
  return a.family === 4 ? a.bytes[0] === 127 : a.text === "::1";
}

export interface AuthNotice {
  /** False: refuse to start, with `message` as the reason. */
  ok: boolean;
  /** One JSON log line (or the reason to refuse). */
  message: string;
}

export function authNotice(
  config: Config,
  hostname: string,
  fromFile: boolean,
): AuthNotice {
  const a = config.auth;
  if (a.mode === "required") {
    return {
      ok: true,
      message: JSON.stringify({
        msg: "auth",
        mode: "required",
        users: a.users.length,
        tokens: a.tokens.length,
        proxy_header: a.proxy?.header ?? null,
      }),
    };
  }
  const open = (warning: string) => ({
    ok: true,
    message: JSON.stringify({ msg: "auth", mode: "open", warning }),
  });
  if (isLoopbackHost(hostname)) {
    return open(
      `authentication is off: every local user of ${hostname} may start, stop and delete tests`,
    );
  }
  if (!fromFile) {
    return {
      ok: false,
      message:
        `pla: refusing to serve on ${hostname}: the embedded default config has no authentication and is served on loopback only. ` +
        "Give a config file (--config) with an auth section, or one that sets `auth: {mode: open}` explicitly, or listen on HOST=127.0.0.1.",
    };
  }
  return open(
    `WARNING: authentication is off (auth.mode: open) and the service listens on ${hostname}: anyone who can reach it may start, stop and delete tests`,
  );
}
