// Request bodies larger than this are refused with 413 before anything reads
// them; a test request is a few hundred bytes.
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { ApiError } from "./problem.ts";

export const MAX_BODY_BYTES = 64 * 1024;
/** A probe agent's batch of results (up to 5,000 records) gets more room. */
export const AGENT_RESULTS_PATH = "/api/agent/results";
export const MAX_AGENT_BODY_BYTES = 4 * 1024 * 1024;

/** The default limit, and the agents' results route's larger one. */
export function limitBodies(): MiddlewareHandler {
  const small = limitBody();
  const agent = limitBody(MAX_AGENT_BODY_BYTES);
  return (c, next) =>
    c.req.path === AGENT_RESULTS_PATH ? agent(c, next) : small(c, next);
}

export const limitBody = (maxSize = MAX_BODY_BYTES): MiddlewareHandler =>
  bodyLimit({
    maxSize,
    onError: () => {
      throw new ApiError(
        413,
        `body: larger than ${maxSize} bytes`,
        "body",
      );
    },
  });
