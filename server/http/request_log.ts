// Opt-in structured access log: one JSON line per request on stdout
// (method, path, status, ms). main.ts wraps the app's fetch with it.
type Fetch = (
  req: Request,
  info: Deno.ServeHandlerInfo,
) => Response | Promise<Response>;

export interface AccessLine {
  msg: "request";
  method: string;
  path: string;
  status: number;
  ms: number;
}

export function withRequestLog(
  fetch: Fetch,
  write: (line: string) => void = (l) => console.log(l),
  now: () => number = () => performance.now(),
): Fetch {
  return async (req, info) => {
    const start = now();
    let status = 500;
    try {
      const res = await fetch(req, info);
      status = res.status;
      return res;
    } finally {
      const line: AccessLine = {
        msg: "request",
        method: req.method,
        path: new URL(req.url).pathname,
        status,
        ms: Math.round((now() - start) * 1000) / 1000,
      };
      write(JSON.stringify(line));
    }
  };
}
