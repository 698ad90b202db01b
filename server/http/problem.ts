// RFC 9457 problem details: the one error shape of the API (model/problem.ts).
import type { ProblemBody } from "../../model/problem.ts";

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

/** An error the API reports as application/problem+json. */
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
    return {
      type: "about:blank",
      title: TITLES[this.status] ?? "Error",
      status: this.status,
      detail: this.message,
      ...(this.field !== undefined ? { field: this.field } : {}),
    };
  }

  toResponse(): Response {
    return new Response(JSON.stringify(this.toProblem()), {
      status: this.status,
      headers: { ...this.headers, "content-type": "application/problem+json" },
    });
  }
}
