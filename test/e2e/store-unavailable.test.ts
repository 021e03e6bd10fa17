/**
 * Every route while the database cannot be reached, through the handler modules Lambda runs (wrapped
 * by withLogging, core from the environment) over the local runtime: ADE_DYNAMODB_ENDPOINT is a port
 * nothing listens on, so both clients (the wire client of the device functions, the AWS SDK of
 * GraphQL) see their connections refused, as in AWS when DynamoDB is unreachable. Device routes
 * answer 503 with Retry-After, GraphQL 503 with SERVICE_UNAVAILABLE, and the logs say why in one
 * warning per request, without a stack.
 */
import { createServer } from 'node:net';
import { draftApiKey, ulid } from '@ade/core';
import { newDiscoveryId } from '@ade/core/ade/discovery-id';
import { logger } from '@ade/functions/log';
import { type LocalServer, startLocalServer } from '@ade/local/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePushCertificate } from '../support/apple.ts';
import { signDetached } from '../support/device-crypto.ts';

const tenantId = `ten_${ulid()}`;
const discoveryId = newDiscoveryId(tenantId, `cfg_${ulid()}`);
const captured: string[] = [];
const restore: (() => void)[] = [];
let server: LocalServer;

function capture(stream: NodeJS.WriteStream) {
  const write = stream.write.bind(stream);
  stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    captured.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof stream.write;
  restore.push(() => {
    stream.write = write;
  });
}

beforeAll(async () => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const { port } = closed.address() as { port: number };
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  Object.assign(process.env, {
    ADE_TABLE_NAME: 'unreachable',
    ADE_DYNAMODB_ENDPOINT: `http://127.0.0.1:${port}`,
    ADE_PUBLIC_URL: 'https://mdm.test.example',
    ADE_LOCAL_KEY_FILE: '/nonexistent/master.key', // never reached: nothing gets past the first read
  });
  logger.setLogLevel('INFO');
  server = await startLocalServer(); // the handler modules Lambda runs
  capture(process.stdout);
  capture(process.stderr);
});
afterAll(async () => {
  for (const undo of restore) undo();
  logger.setLogLevel((process.env.POWERTOOLS_LOG_LEVEL as 'WARN') ?? 'INFO');
  await server?.close();
});

async function expect503(response: Response, contentType: RegExp) {
  expect(response.status).toBe(503);
  expect(response.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
  expect(response.headers.get('cache-control')).toBe('no-store');
  expect(response.headers.get('content-type')).toMatch(contentType);
  return response.text();
}

describe('while the database cannot be reached', () => {
  it('device routes answer 503 with Retry-After', async () => {
    const base = `${server.url}/mdm/enrollment/servicediscovery/${discoveryId}`;
    const discovery = await fetch(`${base}?user-identifier=alice%40example.com&model-family=iPhone`);
    expect(await expect503(discovery, /^text\/plain/)).toMatch(/temporarily unavailable/);

    const enroll = await fetch(`${base}/userenroll`, { method: 'POST', body: 'signed plist' });
    await expect503(enroll, /^text\/plain/);

    // The sign-in page is read by a person: a page, with the page's security headers.
    const page = await fetch(`${base}/auth/${'A'.repeat(32)}`);
    expect(await expect503(page, /^text\/html/)).toMatch(/Try again in \d+ seconds/);
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'none'/);

    // A check-in properly signed by some device identity: the device must be read to go further.
    const body = Buffer.from('<plist version="1.0"><dict/></plist>');
    const checkin = await fetch(`${server.url}/mdm/t/${tenantId.slice(4)}/checkin`, {
      method: 'PUT',
      headers: { 'mdm-signature': signDetached(body, makePushCertificate()) },
      body,
    });
    await expect503(checkin, /^text\/plain/);
  });

  it('GraphQL answers 503 with Retry-After and a typed SERVICE_UNAVAILABLE error', async () => {
    const key = draftApiKey({
      owner: { kind: 'tenant', tenantId, partnerId: `ptn_${ulid()}` },
      name: 'k',
      role: 'ADMIN',
      createdBy: 'test',
    }).secret;
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ viewer { kind } }' }),
    });
    const body = JSON.parse(await expect503(response, /^application\/json/));
    expect(body.errors.map((e: { extensions: { code: string } }) => e.extensions.code)).toEqual([
      'SERVICE_UNAVAILABLE',
    ]);
  });

  it('logs one warning naming the cause per request, the request with its 503, and no error stack', () => {
    const lines = captured
      .join('')
      .split('\n')
      .filter((line) => line.trim())
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const warnings = lines.filter((line) => line.message === 'store.unavailable');
    const requests = lines.filter((line) => line.message === 'request');
    expect(warnings.length).toBe(5);
    for (const warning of warnings) {
      expect(warning.level).toBe('WARN');
      expect(warning.cause).toMatch(/ECONNREFUSED 127\.0\.0\.1:\d+/);
      expect(warning.requestId).toBeTruthy();
    }
    expect(requests.map((line) => line.status)).toEqual([503, 503, 503, 503, 503]);
    expect(lines.filter((line) => line.level === 'ERROR')).toEqual([]);
  });
});
