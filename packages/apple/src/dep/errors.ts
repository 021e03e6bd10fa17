/**
 * The one error type of the Device Assignment client.
 *
 * Apple puts an error code in the response body, but not always in the same shape: its endpoint pages
 * show bare codes (`MDM_SERVICE_DISCOVERY_URL_NOT_VALID`), Apple's depsim simulator quotes them
 * (`"INVALID_CURSOR"`, see nanodep `godep/client.go httpErrorContains`), and Fleet's tests of real-world
 * behaviour use JSON (`{"code": "T_C_NOT_SIGNED"}`). The OAuth layer may also answer in OAuth problem-
 * reporting form (`oauth_problem=token_expired`). `parseErrorCode` accepts all four.
 *
 * Messages are built from our own templates, never from the response body or request headers, so a
 * secret can never leak into a log line through an error.
 */

/** `http`: Apple answered with an error status; `network`: no answer; `timeout`: no answer in time;
 *  `protocol`: Apple answered 2xx with something we cannot read. */
export type DeviceAssignmentErrorKind = 'http' | 'network' | 'timeout' | 'protocol';

export class DeviceAssignmentError extends Error {
  override readonly name = 'DeviceAssignmentError';
  readonly kind: DeviceAssignmentErrorKind;
  /** HTTP status, or `null` when no response arrived. */
  readonly status: number | null;
  /** Apple's error code (`T_C_NOT_SIGNED`, `NOT_FOUND`, …), `HTTP_<status>` when the body had none,
   *  or `NETWORK_ERROR` / `TIMEOUT` / `MALFORMED_RESPONSE`. */
  readonly code: string;
  /** The request that failed, e.g. `POST /account-driven-enrollment/profile`. */
  readonly operation: string;

  constructor(
    init: { kind: DeviceAssignmentErrorKind; status: number | null; code: string; operation: string },
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.kind = init.kind;
    this.status = init.status;
    this.code = init.code;
    this.operation = init.operation;
  }

  /** Worth retrying later unchanged: no answer, rate limited, or Apple-side failure. */
  get retryable(): boolean {
    return (
      this.kind === 'network' || this.kind === 'timeout' || this.status === 429 || (this.status ?? 0) >= 500
    );
  }
}

const ABM = 'Apple Business Manager or Apple School Manager';

/** What an administrator should do about each documented code. Sources: Apple's "Interpreting Error
 *  Codes" (authentication), the Account-Driven Enrollment profile endpoint pages, and nanodep. */
const ADVICE: Record<string, string> = {
  UNAUTHORIZED: `Apple rejected the server token (consumer key, access token, signature or nonce). Download a new server token for this MDM server from ${ABM} and upload it`,
  TOKEN_EXPIRED: `The server token has expired. Renew it in ${ABM} (Preferences > your MDM server > Download Token) and upload the new token`,
  EXPIRED_TOKEN: `The server token has expired. Renew it in ${ABM} (Preferences > your MDM server > Download Token) and upload the new token`,
  T_C_NOT_SIGNED: `Your organisation has not accepted Apple's latest terms and conditions. An administrator must sign in to ${ABM} and accept them`,
  ACCESS_DENIED: `This MDM server's token is not allowed to make this request. Check the MDM server in ${ABM}`,
  FORBIDDEN:
    'Apple refused the session even after signing in again. Try again later; if it persists, upload a fresh server token',
  MDM_SERVICE_DISCOVERY_URL_REQUIRED:
    'No service discovery URL was sent. Configure the account-driven enrollment discovery URL',
  MDM_SERVICE_DISCOVERY_URL_NOT_VALID:
    'Apple rejected the service discovery URL: it must be a well-formed https:// URL',
  ORG_NOT_SUPPORTED: `Apple does not support account-driven enrollment discovery for this organisation in ${ABM}`,
  NOT_FOUND: 'Apple has no account-driven enrollment service discovery URL registered for this MDM server',
  USER_AGENT_MISSING: 'Apple requires a User-Agent header; configure one for the client',
  USER_AGENT_INVALID: 'Apple rejected the User-Agent header; configure a different one for the client',
  MALFORMED_REQUEST_BODY: 'Apple could not read the request body (a bug in this client)',
  TOO_MANY_REQUESTS: 'Apple is rate limiting this MDM server. Retry later',
};

/** Upper-case letters, digits and underscores: the shape of every Apple DEP error code. */
function isCode(value: unknown): value is string {
  return typeof value === 'string' && /^[A-Z][A-Z0-9_]{1,63}$/.test(value);
}

/** Extracts Apple's error code from a response body, or `undefined`. */
export function parseErrorCode(body: string): string | undefined {
  const text = body.trim();
  if (text.startsWith('{')) {
    try {
      const json = JSON.parse(text) as Record<string, unknown>;
      return [json.code, json.error].find(isCode);
    } catch {
      return undefined;
    }
  }
  if (text.startsWith('oauth_problem=')) {
    const problem = new URLSearchParams(text).get('oauth_problem')?.toUpperCase();
    return isCode(problem) ? problem : undefined;
  }
  const bare = text.length >= 2 && text.startsWith('"') && text.endsWith('"') ? text.slice(1, -1) : text;
  return isCode(bare) ? bare : undefined;
}

/** Error for a non-2xx answer. */
export function httpError(operation: string, status: number, body: string): DeviceAssignmentError {
  const code = parseErrorCode(body) ?? (status === 429 ? 'TOO_MANY_REQUESTS' : `HTTP_${status}`);
  const advice =
    ADVICE[code] ??
    (status >= 500
      ? "Apple's Device Assignment service failed. Retry later"
      : "Apple's Device Assignment service rejected the request");
  return new DeviceAssignmentError(
    { kind: 'http', status, code, operation },
    `${advice} (${operation}: HTTP ${status} ${code}).`,
  );
}

/** Error for a request that got no response: refused, reset, DNS failure, or timed out. */
export function transportError(operation: string, host: string, timeoutMs: number, cause: unknown) {
  const timedOut = cause instanceof Error && (cause.name === 'TimeoutError' || cause.name === 'AbortError');
  if (timedOut) {
    return new DeviceAssignmentError(
      { kind: 'timeout', status: null, code: 'TIMEOUT', operation },
      `Apple's Device Assignment service at ${host} did not answer within ${timeoutMs} ms. Retry later (${operation}).`,
      { cause },
    );
  }
  const reason = (cause as { cause?: { code?: unknown } } | undefined)?.cause?.code;
  const detail = typeof reason === 'string' ? ` (${reason})` : '';
  return new DeviceAssignmentError(
    { kind: 'network', status: null, code: 'NETWORK_ERROR', operation },
    `Could not reach Apple's Device Assignment service at ${host}${detail}. Check network access to it (${operation}).`,
    { cause },
  );
}

/** Error for a 2xx answer whose body is not what Apple documents. */
export function protocolError(operation: string, status: number, what: string): DeviceAssignmentError {
  return new DeviceAssignmentError(
    { kind: 'protocol', status, code: 'MALFORMED_RESPONSE', operation },
    `Apple's Device Assignment service sent an unexpected response: ${what} (${operation}).`,
  );
}
