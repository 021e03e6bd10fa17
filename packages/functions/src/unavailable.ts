/**
 * The HTTP edge of core's StoreUnavailableError (the database cannot be reached): `503` with
 * `Retry-After`, which devices and Apple's clients honour by trying again later, instead of the
 * generic 500 API Gateway gives a function that throws. One `warn` line names the cause (e.g.
 * `connect ECONNREFUSED 127.0.0.1:8000`); the request line of withLogging then shows the 503.
 */
import { type StoreUnavailableError, unavailableIn } from '@ade/core/errors';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { LambdaHandler } from './http.ts';
import { logger } from './log.ts';

/** What a 503 says; a route whose clients expect another shape (an HTML page, GraphQL JSON) brings its own. */
export type UnavailableBody = (error: StoreUnavailableError) => {
  headers: Record<string, string>;
  body: string;
};

export const plainUnavailable: UnavailableBody = (error) => ({
  headers: { 'content-type': 'text/plain; charset=utf-8' },
  body: `The service is temporarily unavailable; retry in ${error.retryAfterSeconds} seconds.`,
});

/** The 503 for `error` if the database could not be reached, else undefined. */
export function unavailableResponse(
  error: unknown,
  render: UnavailableBody = plainUnavailable,
): APIGatewayProxyStructuredResultV2 | undefined {
  const unavailable = unavailableIn(error);
  if (!unavailable) return undefined;
  logger.warn('store.unavailable', { cause: unavailable.detail });
  const { headers, body } = render(unavailable);
  return {
    statusCode: 503,
    headers: {
      ...headers,
      'retry-after': String(unavailable.retryAfterSeconds),
      'cache-control': 'no-store',
    },
    body,
  };
}

/** `handler`, answering 503 with Retry-After whenever it fails because the database cannot be reached. */
export function withStoreUnavailable(
  handler: LambdaHandler,
  render: UnavailableBody = plainUnavailable,
): LambdaHandler {
  return async (event, context) => {
    try {
      return await handler(event, context);
    } catch (error) {
      const response = unavailableResponse(error, render);
      if (response) return response;
      throw error;
    }
  };
}
