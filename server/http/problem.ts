// RFC 9457 problem details at the edge: every error the API answers with is
// turned into the one problem+json shape here, once (app.onError, the pages).
// Domain code throws server/errors.ts; only HTTP-layer code (security headers,
// body limit, authentication, unknown routes) throws ApiError directly.
import type { ProblemBody } from "../../model/problem.ts";
import {
  ConflictError,
  DomainError,
  InvalidRequestError,
  LimitError,
  MalformedRequestError,
  NotFoundError,
  UnavailableError,
} from "../errors.ts";

export type { ProblemBody } from "../../model/problem.ts";

const TITLES: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  413: "Content Too Large",
  422: "Unprocessable Content",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

export type ProblemStatus =
  | 400
  | 401
  | 403
  | 404
  | 405
  | 409
  | 413
  | 422
  | 429
  | 500
  | 503;

/** An HTTP-layer error the API reports as application/problem+json. */
export class ApiError extends Error {
  constructor(
    readonly status: ProblemStatus,
    message: string,
    readonly field?: string,
    /** Extra response headers, e.g. Retry-After or WWW-Authenticate. */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "ApiError";
  }

  toProblem(): ProblemBody {
    return problemBody(this.status, this.message, this.field);
  }

  toResponse(): Response {
    return problemResponse(this)!;
  }
}

function problemBody(
  status: ProblemStatus,
  detail: string,
  field: string | undefined,
): ProblemBody {
  return {
    type: "about:blank",
    title: TITLES[status] ?? "Error",
    status,
    detail,
    ...(field !== undefined ? { field } : {}),
  };
}

/** The status of each domain error kind: the whole mapping. */
function statusOf(err: DomainError): ProblemStatus {
  if (err instanceof MalformedRequestError) return 400;
  if (err instanceof NotFoundError) return 404;
  if (err instanceof ConflictError) return 409;
  if (err instanceof InvalidRequestError) return 422;
  if (err instanceof LimitError) return 429;
  if (err instanceof UnavailableError) return 503;
  return 500;
}

export interface Problem {
  status: ProblemStatus;
  body: ProblemBody;
  headers: Record<string, string>;
}

/** The problem an error is answered with, or null for an unexpected error (a bug: 500). */
export function problemOf(err: unknown): Problem | null {
  if (err instanceof ApiError) {
    return {
      status: err.status,
      body: err.toProblem(),
      headers: err.headers,
    };
  }
  if (err instanceof DomainError) {
    const status = statusOf(err);
    const headers: Record<string, string> = {};
    if (err instanceof LimitError && err.retryAfterS !== undefined) {
      headers["retry-after"] = String(err.retryAfterS);
    }
    return {
      status,
      body: problemBody(status, err.message, err.field),
      headers,
    };
  }
  return null;
}

/** The problem+json response for `err`; null for an unexpected error. */
export function problemResponse(err: unknown): Response | null {
  const p = problemOf(err);
  if (!p) return null;
  return new Response(JSON.stringify(p.body), {
    status: p.status,
    headers: { ...p.headers, "content-type": "application/problem+json" },
  });
}

/** The 500 answer to an unexpected error; its message stays in the log. */
export const internalError = (): Response =>
  problemResponse(new ApiError(500, "internal error"))!;
