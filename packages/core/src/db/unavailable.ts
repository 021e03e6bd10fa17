/**
 * Where "the database cannot be reached" is recognised, for both clients (the AWS SDK's, db/client.ts,
 * and the device functions' own, db/wire.ts): what they throw once their own retries are spent is
 * turned into the domain's StoreUnavailableError (the original kept as `cause`), which the edges map to
 * HTTP 503 with Retry-After and GraphQL's `SERVICE_UNAVAILABLE`. The same holds in AWS when DynamoDB is
 * unreachable and under `pnpm dev` while DynamoDB Local restarts.
 *
 * Recognised: the connection refused, reset or broken (ECONNREFUSED, ECONNRESET, EPIPE), no route or
 * name for the host, a request or socket timeout (the SDK's and the wire client's `TimeoutError`,
 * ETIMEDOUT), and DynamoDB's own HTTP 503 (`ServiceUnavailable`). Not recognised, on purpose: a 500
 * (may be this one request's fault), throttling (the table is there, and busy), credentials, aborts
 * and every 4xx: they stay what they are.
 */
import { StoreUnavailableError } from '../errors.ts';

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
const TIMEOUT_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);

/** True when `error`, as a DynamoDB client threw it, says the database could not be reached. */
export function isUnreachable(error: unknown): boolean {
  if (!(error instanceof Error) || error.name === 'AbortError') return false;
  const { code, $metadata } = error as NodeJS.ErrnoException & { $metadata?: { httpStatusCode?: number } };
  return (
    UNREACHABLE_CODES.has(code ?? '') ||
    TIMEOUT_NAMES.has(error.name) ||
    error.name === 'ServiceUnavailable' ||
    $metadata?.httpStatusCode === 503
  );
}

/** `error` as the domain sees it: a StoreUnavailableError when the database could not be reached, else itself. */
export function asStoreError(error: unknown): unknown {
  return isUnreachable(error) ? new StoreUnavailableError(error) : error;
}
