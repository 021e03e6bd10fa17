/**
 * The one error type of the domain. Expected failures carry a stable `code` that scripts can
 * branch on and a `message` a person can act on; the edges map `kind` to a transport (GraphQL
 * payload errors and `extensions.code`, HTTP status, Apple's error bodies). Anything that is not an
 * AppError is unexpected: masked at the edge and logged with the request id.
 */
export type ErrorKind =
  | 'unauthenticated' // no or bad credentials
  | 'forbidden' // authenticated, but this actor may not do this
  | 'not_found' // does not exist, or exists in a scope the actor cannot see (never reveal which)
  | 'validation' // input is malformed
  | 'conflict' // the input is fine but the current state refuses it (rules, concurrent change)
  | 'limit' // a size, depth or cost limit
  | 'unavailable'; // the database cannot be reached: nothing could be decided, retry later

/** Every stable code, in one list: the GraphQL enum is built from it. */
export const ERROR_CODES = [
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'VALIDATION_FAILED',
  'NOT_PLAIN_TEXT',
  'INVALID_ID',
  'INVALID_CURSOR',
  'PAGE_SIZE_TOO_LARGE',
  'POLICY_CYCLE',
  'POLICY_IS_ROOT',
  'POLICY_HAS_CHILDREN',
  'POLICY_TREE_TOO_DEEP',
  'TOO_MANY_CHILDREN',
  'VERSION_MISMATCH',
  'CONCURRENT_CHANGE',
  'ALREADY_REVOKED',
  'POLICY_HAS_CONFIGURATION',
  'POLICY_HAS_TOKENS',
  'CONFIGURATION_EXISTS',
  'DOMAIN_TAKEN',
  'PASSCODE_REQUIRED',
  'FALLBACK_TOKEN_NOT_ON_POLICY',
  'TOKEN_IN_USE',
  'TOKEN_WRONG_KEY',
  'TOKEN_CORRUPTED',
  'TOKEN_EXPIRED',
  'NOT_A_TOKEN',
  'TOKEN_FOR_OTHER_SERVER',
  'TOKEN_NOT_UPLOADED',
  'APPLE_UNAVAILABLE',
  'INVALID_IMAGE',
  'PUSH_TOPIC_CHANGED',
  'POLICY_HAS_DEVICES',
  'TENANT_CONTEXT_MISSING',
  'INVALID_PAYLOAD',
  'UNKNOWN_PAYLOAD_TYPE',
  'UNKNOWN_KEY',
  'WRONG_TYPE',
  'MISSING_REQUIRED_KEY',
  'VALUE_NOT_ALLOWED',
  'SERVICE_UNAVAILABLE',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface FieldProblem {
  /** Path of the offending input field, e.g. `['input', 'name']`. */
  path: string[];
  message: string;
  /** A more precise code for this one problem (e.g. `UNKNOWN_KEY`); the error's code otherwise. */
  code?: ErrorCode;
}

export class AppError extends Error {
  readonly kind: ErrorKind;
  readonly code: ErrorCode;
  readonly problems: FieldProblem[];

  constructor(kind: ErrorKind, code: ErrorCode, message: string, problems: FieldProblem[] = []) {
    super(message);
    this.name = 'AppError';
    this.kind = kind;
    this.code = code;
    this.problems = problems;
  }

  static notFound(what: string): AppError {
    return new AppError('not_found', 'NOT_FOUND', `${what} was not found.`);
  }

  static forbidden(message = 'Your API key is not allowed to do this.'): AppError {
    return new AppError('forbidden', 'FORBIDDEN', message);
  }

  static unauthenticated(message = 'A valid API key is required (Authorization: Bearer <key>).'): AppError {
    return new AppError('unauthenticated', 'UNAUTHENTICATED', message);
  }

  static validation(problems: FieldProblem[]): AppError {
    const message = problems
      .map((p) => (p.path.length ? `${p.path.join('.')}: ${p.message}` : p.message))
      .join('; ');
    return new AppError('validation', 'VALIDATION_FAILED', message || 'The input is not valid.', problems);
  }

  /** An `expectedVersion` (or the version read before writing) is no longer current. */
  static versionMismatch(what: string, current: number): AppError {
    return new AppError(
      'conflict',
      'VERSION_MISMATCH',
      `${what} was changed by someone else (now at version ${current}); reload and retry.`,
    );
  }

  static conflict(code: ErrorCode, message: string): AppError {
    return new AppError('conflict', code, message);
  }
}

/**
 * The database could not be reached: the connection was refused or reset, or it did not answer in
 * time, after the client's own retries (db/unavailable.ts recognises that for both clients). Nothing
 * about the request was decided, so the edges ask the caller to retry (HTTP 503 with Retry-After,
 * GraphQL `SERVICE_UNAVAILABLE`) rather than answer a generic 500. As with any timeout, a write
 * whose answer was lost may still have been applied: a retry can find it done.
 */
export class StoreUnavailableError extends AppError {
  /** What the edges put in Retry-After: about what a restarted DynamoDB Local needs under `pnpm dev`. */
  readonly retryAfterSeconds = 10;

  /** The client's own error on one line, for a log (e.g. `Error: connect ECONNREFUSED 127.0.0.1:8000`). */
  readonly detail: string;

  constructor(cause: unknown) {
    super('unavailable', 'SERVICE_UNAVAILABLE', 'The database cannot be reached right now; retry shortly.');
    this.name = 'StoreUnavailableError';
    this.cause = cause;
    this.detail = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
  }
}

/**
 * The StoreUnavailableError behind `error`, if any: ElectroDB wraps what a client throws in its own
 * error (`cause`), and callers may wrap again, so the chain is followed (to a bounded depth).
 */
export function unavailableIn(error: unknown): StoreUnavailableError | undefined {
  let current = error;
  for (let depth = 0; depth < 8 && current instanceof Error; depth++) {
    if (current instanceof StoreUnavailableError) return current;
    current = current.cause;
  }
  return undefined;
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}
