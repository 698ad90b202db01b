// What domain code (runner, limits, target policy, listing, export, audit)
// throws when it refuses something. None of it knows HTTP: each kind is
// mapped to a status and a problem+json body once, at the edge
// (server/http/problem.ts, used by app.onError and the pages).

/** A refusal by the service's own rules; `field` names the input at fault. */
export abstract class DomainError extends Error {
  constructor(message: string, readonly field?: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A parameter or body that cannot be read at all (bad syntax, unknown value): 400. */
export class MalformedRequestError extends DomainError {}

/** A well-formed request that is refused (schema, target policy, limits): 422. */
export class InvalidRequestError extends DomainError {}

/** The thing asked for does not exist: 404. */
export class NotFoundError extends DomainError {}

/** The thing is not in a state that allows this (stop a finished test): 409. */
export class ConflictError extends DomainError {}

/** A limit that waiting lifts (running tests, open streams): 429. */
export class LimitError extends DomainError {
  constructor(
    message: string,
    /** Seconds after which trying again may succeed. */
    readonly retryAfterS?: number,
  ) {
    super(message);
  }
}

/** The service cannot do it right now (storage fails): 503. */
export class UnavailableError extends DomainError {}
