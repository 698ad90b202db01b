// Request validation failures (zod issues in a query, path or header) become
// domain errors, which app.onError maps to problem+json like any other: a bad
// parameter is a 400 naming it, a path that names no test a 404.
import type { Hook } from "@hono/zod-openapi";
import type { BlankEnv } from "hono/types";
import type { z } from "zod";
import {
  type DomainError,
  MalformedRequestError,
  NotFoundError,
} from "../errors.ts";

/**
 * The first issue as an error. The field is the issue's `params.field` when
 * the schema names it (a query parameter standing in for a header), else its
 * path. Path parameters name a resource: failing them is a 404 with the
 * schema's message as it is.
 */
export function issueError(
  target: string,
  error: z.ZodError,
  queries?: Record<string, string[]>,
): DomainError {
  const issue = error.issues[0];
  // A repeated query parameter reaches the schema as a list: say so, rather
  // than what the one value should have been ("must be a string").
  const key = issue.path.length ? String(issue.path[0]) : null;
  if (target === "query" && key !== null && (queries?.[key]?.length ?? 0) > 1) {
    return new MalformedRequestError(`${key}: given more than once`, key);
  }
  const named = (issue as { params?: { field?: unknown } }).params?.field;
  const field = typeof named === "string"
    ? named
    : issue.path.length
    ? issue.path.map(String).join(".")
    : target;
  if (target === "param") return new NotFoundError(issue.message, field);
  return new MalformedRequestError(`${field}: ${issue.message}`, field);
}

/** OpenAPIHono's defaultHook: throws, so the error reaches app.onError. */
export const validationHook: Hook<unknown, BlankEnv, string, void> = (
  result,
  c,
) => {
  if (!result.success) {
    throw issueError(
      result.target,
      result.error,
      result.target === "query" ? c.req.queries() : undefined,
    );
  }
};

/** Parses a query with a route's schema outside a route (the history page). */
export function parseQuery<S extends z.ZodType>(
  schema: S,
  input: unknown,
): z.output<S> {
  const r = schema.safeParse(input);
  if (!r.success) throw issueError("query", r.error);
  return r.data;
}
