// Request bodies larger than this are refused with 413 before anything reads
// them; a test request is a few hundred bytes.
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { ApiError } from "./problem.ts";

export const MAX_BODY_BYTES = 64 * 1024;

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
