/**
 * Every failure surfaces as one `DeviceAssignmentError` with Apple's code, whatever body format Apple
 * uses; bad credentials never cause a retry loop; timeouts and network failures are typed; no error ever
 * carries a secret.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  FakeDeviceAssignment,
  type FakeMdmServer,
  type FakeOptions,
  sampleAccountJson,
} from '../../../../test/fakes/apple-device-assignment';
import { DeviceAssignmentClient, type DeviceAssignmentClientOptions } from './client';
import { DeviceAssignmentError, parseErrorCode } from './errors';

const credentials = {
  consumerKey: 'CK_3a1b2c',
  consumerSecret: 'CS_consumer-secret-value',
  accessToken: 'AT_access-token-value',
  accessSecret: 'AS_access-secret-value',
};
const SECRETS = [credentials.consumerSecret, credentials.accessToken, credentials.accessSecret];
let fake: FakeDeviceAssignment;
let server: FakeMdmServer;

async function useFake(options: FakeOptions = {}) {
  await fake?.close();
  fake = await FakeDeviceAssignment.start(options);
  server = fake.addServer({ token: { ...credentials }, account: sampleAccountJson() });
}
const client = (options: Partial<DeviceAssignmentClientOptions> = {}) =>
  new DeviceAssignmentClient({ baseUrl: fake.url, credentials, userAgent: 'ade-cloud-test/1.0', ...options });
const trail = () => fake.requests.map((r) => `${r.method} ${r.path} ${r.status}`);

/** Awaits a rejection and checks it is our typed error, with no secret anywhere in it. */
async function failure(promise: Promise<unknown>, expected: Partial<DeviceAssignmentError>) {
  const error = await promise.then(
    () => expect.fail('expected a DeviceAssignmentError'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DeviceAssignmentError);
  const e = error as DeviceAssignmentError;
  expect(e).toMatchObject(expected);
  const everything = `${e.message}\n${e.stack}\n${JSON.stringify(e)}\n${String(e.cause)}`;
  for (const secret of SECRETS) expect(everything).not.toContain(secret);
  return e;
}

beforeEach(() => useFake());
afterEach(() => fake.close());

describe.each(['text', 'json'] as const)('documented Apple errors, %s bodies', (errorBodies) => {
  beforeEach(() => useFake({ errorBodies }));

  it('rejects a missing or invalid discovery URL with the code Apple documents', async () => {
    const c = client();
    await failure(c.assignAccountDrivenEnrollmentProfile(''), {
      status: 400,
      code: 'MDM_SERVICE_DISCOVERY_URL_REQUIRED',
      kind: 'http',
    });
    for (const bad of ['http://mdm.example.net/discovery', 'not a url', 'https://']) {
      const e = await failure(c.assignAccountDrivenEnrollmentProfile(bad), {
        status: 400,
        code: 'MDM_SERVICE_DISCOVERY_URL_NOT_VALID',
      });
      expect(e.message).toMatch(/https:\/\//);
    }
    expect(await c.fetchAccountDrivenEnrollmentProfile()).toBeNull(); // 404 NOT_FOUND is "none", not an error
  });

  it('rejects every profile call for an org that cannot use it: ORG_NOT_SUPPORTED', async () => {
    server.accountDrivenEnrollment = false;
    const c = client();
    const expected = {
      status: 400,
      code: 'ORG_NOT_SUPPORTED',
      operation: expect.stringContaining('/profile'),
    };
    await failure(c.assignAccountDrivenEnrollmentProfile('https://mdm.example.net/d'), expected);
    await failure(c.fetchAccountDrivenEnrollmentProfile(), expected);
    await failure(c.removeAccountDrivenEnrollmentProfile(), expected);
  });

  it('reports unsigned terms at sign-in and later, without re-authenticating', async () => {
    server.termsSigned = false;
    const e = await failure(client().account(), {
      status: 403,
      code: 'T_C_NOT_SIGNED',
      operation: 'GET /session',
    });
    expect(e.message).toMatch(/accept/);
    server.termsSigned = true;
    const c = client();
    await c.account();
    server.termsSigned = false;
    await failure(c.account(), { status: 403, code: 'T_C_NOT_SIGNED', operation: 'GET /account' });
    expect(fake.count('GET', '/session')).toBe(2);
  });

  it('reports an expired server token as TOKEN_EXPIRED', async () => {
    server.token.accessTokenExpiry = new Date(Date.now() - 1000);
    const e = await failure(client().account(), { status: 401, code: 'TOKEN_EXPIRED' });
    expect(e.message).toMatch(/Renew/);
    expect(trail()).toEqual(['GET /session 401']);
  });

  it('surfaces ACCESS_DENIED, rate limiting and server failures with the right code', async () => {
    const c = client();
    fake.failNext('/account', 403, 'ACCESS_DENIED');
    await failure(c.account(), { status: 403, code: 'ACCESS_DENIED', retryable: false });
    fake.failNext('/account', 429, 'TOO_MANY_REQUESTS');
    await failure(c.account(), { status: 429, code: 'TOO_MANY_REQUESTS', retryable: true });
    fake.failNext('/account', 503, 'SERVICE_UNAVAILABLE');
    await failure(c.account(), { status: 503, code: 'SERVICE_UNAVAILABLE', retryable: true });
    expect(fake.count('GET', '/session')).toBe(1);
  });
});

describe('bad credentials and replay', () => {
  it('fails a wrong secret with UNAUTHORIZED after exactly one request, every time', async () => {
    const c = client({ credentials: { ...credentials, consumerSecret: 'CS_wrong' } });
    await failure(c.account(), { status: 401, code: 'UNAUTHORIZED', operation: 'GET /session' });
    await failure(c.assignAccountDrivenEnrollmentProfile('https://mdm.example.net/d'), {
      code: 'UNAUTHORIZED',
    });
    expect(trail()).toEqual(['GET /session 401', 'GET /session 401']);
  });

  it('rejects an unknown consumer key, an unknown access token and a stale timestamp', async () => {
    await failure(client({ credentials: { ...credentials, consumerKey: 'CK_other' } }).account(), {
      status: 401,
    });
    await failure(client({ credentials: { ...credentials, accessToken: 'AT_other' } }).account(), {
      status: 401,
    });
    await failure(client({ now: () => new Date(Date.now() - 10 * 60_000) }).account(), { status: 401 });
    expect(fake.requests.every((r) => r.path === '/session' && r.status === 401)).toBe(true);
  });

  it('rejects a reused nonce (the fake verifies it, as Apple does)', async () => {
    const now = new Date();
    await client({ nonce: () => 'same', now: () => now }).account();
    await failure(client({ nonce: () => 'same', now: () => now }).account(), {
      status: 401,
      code: 'UNAUTHORIZED',
    });
  });

  it('never retries more than once when Apple keeps refusing the session', async () => {
    const c = client();
    await c.account();
    fake.failNext('/account', 401, 'UNAUTHORIZED');
    fake.failNext('/account', 401, 'UNAUTHORIZED');
    await failure(c.account(), { status: 401, code: 'UNAUTHORIZED' });
    expect(trail().slice(2)).toEqual(['GET /account 401', 'GET /session 200', 'GET /account 401']);
  });

  it('does not retry when a session minted for this very call is refused', async () => {
    fake.failNext('/account', 401, 'UNAUTHORIZED');
    await failure(client().account(), { status: 401 });
    expect(trail()).toEqual(['GET /session 200', 'GET /account 401']);
  });
});

describe('no answer, or a bad one', () => {
  it('times out a slow call as TIMEOUT', async () => {
    const c = client({ timeoutMs: 100 });
    await c.account();
    fake.delay('/account', 2_000);
    const started = Date.now();
    await failure(c.account(), { kind: 'timeout', code: 'TIMEOUT', status: null, retryable: true });
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('times out a slow sign-in as TIMEOUT', async () => {
    fake.delay('/session', 2_000);
    await failure(client({ timeoutMs: 100 }).account(), { kind: 'timeout', operation: 'GET /session' });
  });

  it('reports an unreachable service as NETWORK_ERROR', async () => {
    const url = fake.url;
    await fake.close();
    const e = await failure(client({ baseUrl: url }).account(), { kind: 'network', code: 'NETWORK_ERROR' });
    expect(e.message).toContain('ECONNREFUSED');
    await useFake();
  });

  it('reports an account without server_uuid, or a session without a token, as MALFORMED_RESPONSE', async () => {
    server.account = sampleAccountJson({ server_uuid: undefined });
    await failure(client().account(), { kind: 'protocol', code: 'MALFORMED_RESPONSE', status: 200 });
    const fetch: typeof globalThis.fetch = async () => new Response('<html>', { status: 200 });
    await failure(client({ fetch }).account(), { kind: 'protocol', operation: 'GET /session' });
  });
});

describe('parseErrorCode', () => {
  it('reads bare, quoted, JSON and OAuth problem bodies, and nothing else', () => {
    expect(parseErrorCode('NOT_FOUND\n')).toBe('NOT_FOUND');
    expect(parseErrorCode('"INVALID_CURSOR"')).toBe('INVALID_CURSOR');
    expect(parseErrorCode('{"code": "T_C_NOT_SIGNED", "message": "x"}')).toBe('T_C_NOT_SIGNED');
    expect(parseErrorCode('{"error": "ACCESS_DENIED"}')).toBe('ACCESS_DENIED');
    expect(parseErrorCode('oauth_problem=token_expired&oauth_problem_advice=renew')).toBe('TOKEN_EXPIRED');
    for (const body of ['', '<html>Bad Gateway</html>', '{}', '{"code": 7}', 'Not Found']) {
      expect(parseErrorCode(body)).toBeUndefined();
    }
  });
});
