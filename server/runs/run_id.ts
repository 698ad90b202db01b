// Test ids in paths: anything that is not an id this service could have made
// is a 404 before it reaches storage (a huge id would otherwise overflow a KV key).
import type { MiddlewareHandler } from "hono";
import { NotFoundError } from "../errors.ts";

/** As newId() makes them: 9 base-36 time digits and 8 hex; a little slack. */
export const TEST_ID = /^[0-9a-z]{1,32}$/;

export const checkTestId: MiddlewareHandler = async (c, next) => {
  const id = c.req.param("id") ?? "";
  if (!TEST_ID.test(id)) {
    throw new NotFoundError(`no test with id "${id.slice(0, 64)}"`, "id");
  }
  await next();
};
