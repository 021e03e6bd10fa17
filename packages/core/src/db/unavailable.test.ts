import { createServer } from 'node:net';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { AppError, StoreUnavailableError, unavailableIn } from '../errors.ts';
import { createDatabase } from './client.ts';
import { asStoreError, isUnreachable } from './unavailable.ts';
import { createWireDatabase } from './wire.ts';

const withCode = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:8000`), { code });
const named = (name: string, status?: number) =>
  Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });

/** A port nothing listens on (free a moment ago): connecting is refused, no Java needed. */
async function closedEndpoint(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

describe('an unreachable database, recognised', () => {
  it.each([
    ['refused', withCode('ECONNREFUSED')],
    ['reset', withCode('ECONNRESET')],
    ['broken pipe', withCode('EPIPE')],
    ['socket timeout', withCode('ETIMEDOUT')],
    ['no route', withCode('EHOSTUNREACH')],
    ['no name (DNS)', withCode('ENOTFOUND')],
    ["the SDK's or the wire client's timeout", named('TimeoutError')],
    ["DynamoDB's 503", named('ServiceUnavailable', 503)],
  ])('%s becomes a StoreUnavailableError keeping the original', (_what, error) => {
    expect(isUnreachable(error)).toBe(true);
    const mapped = asStoreError(error) as StoreUnavailableError;
    expect(mapped).toBeInstanceOf(StoreUnavailableError);
    expect(mapped).toBeInstanceOf(AppError);
    expect([mapped.kind, mapped.code, mapped.cause]).toEqual(['unavailable', 'SERVICE_UNAVAILABLE', error]);
    expect(mapped.retryAfterSeconds).toBeGreaterThan(0);
  });

  it.each([
    ['a failed condition', named('ConditionalCheckFailedException', 400)],
    ['a 500 (may be this request)', named('InternalServerError', 500)],
    ['throttling (the table is there)', named('ThrottlingException', 400)],
    ['a validation error', named('ValidationException', 400)],
    ['missing credentials', named('CredentialsProviderError')],
    ['an abort', Object.assign(withCode('ECONNRESET'), { name: 'AbortError' })],
    ['a plain bug', new TypeError('x is undefined')],
    ['not an error at all', 'ECONNREFUSED'],
  ])('%s stays itself', (_what, error) => {
    expect(isUnreachable(error)).toBe(false);
    expect(asStoreError(error)).toBe(error);
  });

  it('is found behind the errors that wrap it (ElectroDB, callers), and only there', () => {
    const store = new StoreUnavailableError(withCode('ECONNREFUSED'));
    const electro = Object.assign(new Error('Error thrown by DynamoDB client: …'), { cause: store });
    const rewrapped = new Error('could not load the tenant', { cause: electro });
    expect(unavailableIn(store)).toBe(store);
    expect(unavailableIn(electro)).toBe(store);
    expect(unavailableIn(rewrapped)).toBe(store);
    expect(unavailableIn(new Error('other', { cause: withCode('ECONNREFUSED') }))).toBeUndefined();
    expect(unavailableIn(AppError.notFound('Tenant'))).toBeUndefined();
    expect(unavailableIn(undefined)).toBeUndefined();
    const loop = new Error('loop');
    loop.cause = loop;
    expect(unavailableIn(loop)).toBeUndefined();
  });

  it('both clients report a refused connection as StoreUnavailableError, after their retries', async () => {
    const endpoint = await closedEndpoint();
    const sdk = createDatabase({ tableName: 't', endpoint });
    const wire = createWireDatabase({ tableName: 't', endpoint });
    try {
      const fromSdk = await sdk.client
        .send(new GetItemCommand({ TableName: 't', Key: { pk: { S: 'a' }, sk: { S: 'b' } } }))
        .catch((error: unknown) => error);
      const fromDocument = await sdk.document
        .send(new GetCommand({ TableName: 't', Key: { pk: 'a' } }))
        .catch((error: unknown) => error);
      const fromWire = await wire.document
        .get({ TableName: 't', Key: { pk: 'a' } })
        .promise()
        .catch((error: unknown) => error);
      for (const error of [fromSdk, fromDocument, fromWire]) {
        expect(error).toBeInstanceOf(StoreUnavailableError);
        const cause = (error as StoreUnavailableError).cause as NodeJS.ErrnoException & {
          $metadata: { attempts: number };
        };
        expect(cause.code).toBe('ECONNREFUSED');
        expect(cause.$metadata.attempts).toBeGreaterThan(1);
      }
    } finally {
      sdk.client.destroy();
      wire.close();
    }
  });
});
