import { AppError, StoreUnavailableError } from '@ade/core/errors';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { LambdaHandler } from './http.ts';
import { withStoreUnavailable } from './unavailable.ts';

const event = {} as APIGatewayProxyEventV2;
const context = {} as Context;
const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8000'), { code: 'ECONNREFUSED' });
const failing =
  (error: unknown): LambdaHandler =>
  async () => {
    throw error;
  };

describe('withStoreUnavailable', () => {
  it('answers 503 with Retry-After when the database could not be reached, however wrapped', async () => {
    const store = new StoreUnavailableError(refused);
    // ElectroDB puts what the client threw in `cause` of its own error.
    const electro = Object.assign(new Error('Error thrown by DynamoDB client'), { cause: store });
    for (const error of [store, electro]) {
      const result = await withStoreUnavailable(failing(error))(event, context);
      expect(result).toEqual({
        statusCode: 503,
        headers: {
          'content-type': 'text/plain; charset=utf-8',
          'retry-after': String(store.retryAfterSeconds),
          'cache-control': 'no-store',
        },
        body: `The service is temporarily unavailable; retry in ${store.retryAfterSeconds} seconds.`,
      });
    }
  });

  it('lets a route give its own body, and keeps Retry-After whatever it says', async () => {
    const store = new StoreUnavailableError(refused);
    const result = await withStoreUnavailable(failing(store), () => ({
      headers: { 'content-type': 'text/html', 'retry-after': '1' },
      body: '<p>later</p>',
    }))(event, context);
    expect(result.statusCode).toBe(503);
    expect(result.headers).toMatchObject({
      'content-type': 'text/html',
      'retry-after': String(store.retryAfterSeconds),
    });
    expect(result.body).toBe('<p>later</p>');
  });

  it('leaves every other failure alone (API Gateway answers 500), and every answer', async () => {
    for (const error of [refused, new TypeError('bug'), AppError.notFound('Device')])
      await expect(withStoreUnavailable(failing(error))(event, context)).rejects.toBe(error);
    const ok = { statusCode: 200, body: 'fine' };
    expect(await withStoreUnavailable(async () => ok)(event, context)).toBe(ok);
  });
});
