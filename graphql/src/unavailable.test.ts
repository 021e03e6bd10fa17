/**
 * GraphQL when the database cannot be reached: the AWS SDK client points at a port nothing listens
 * on (connections refused, as when DynamoDB Local has died), so every read fails the way it would.
 * The answer is HTTP 503 with Retry-After and a typed SERVICE_UNAVAILABLE error, never a masked 500
 * nor a mutation payload error.
 */
import { createServer } from 'node:net';
import { type Actor, type Core, createCore, createDatabase, draftApiKey, ulid } from '@ade/core';
import { ephemeralKeyManagement, hmacTokenSigner } from '@ade/core/secrets/index';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGraphQLServer, executeGraphQL, type GraphQLServer } from './server.ts';

async function closedEndpoint(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

const tenantUlid = ulid();
const actor: Actor = {
  kind: 'tenant',
  role: 'ADMIN',
  keyId: 'key',
  partnerId: `ptn_${ulid()}`,
  tenantId: `ten_${tenantUlid}`,
};
/** A well-formed key (never stored: checking it needs the database). */
const key = draftApiKey({
  owner: { kind: 'tenant', tenantId: actor.tenantId, partnerId: actor.partnerId },
  name: 'k',
  role: 'ADMIN',
  createdBy: 'test',
}).secret;
const logged: { level: string; message: string; details: Record<string, unknown> }[] = [];
let core: Core;
let server: GraphQLServer;

beforeAll(async () => {
  core = createCore(createDatabase({ tableName: 'unreachable', endpoint: await closedEndpoint() }), {
    keys: ephemeralKeyManagement(),
    tokenSigner: hmacTokenSigner(Buffer.alloc(32, 1)),
    publicUrl: 'https://mdm.test.example',
  });
  server = createGraphQLServer({
    error: (message, details) => logged.push({ level: 'error', message, details }),
    warn: (message, details) => logged.push({ level: 'warn', message, details }),
  });
  await server.start();
});
afterAll(async () => {
  await server?.stop();
  core?.db.client.destroy();
});

async function post(target: Core, query: string, variables?: Record<string, unknown>) {
  const response = await executeGraphQL(server, target, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    search: '',
    body: JSON.stringify({ query, variables }),
    requestId: 'test',
  });
  return { ...response, json: JSON.parse(response.body) };
}

/** The same core, with the key already accepted: what follows reaches the resolvers. */
const authenticated = () => ({ ...core, apiKeys: { ...core.apiKeys, authenticate: async () => actor } });

describe('GraphQL while the database cannot be reached', () => {
  it('answers 503 with Retry-After and SERVICE_UNAVAILABLE when the key cannot be checked', async () => {
    logged.length = 0;
    const response = await post(core, '{ viewer { kind } }');
    expect(logged).toEqual([
      {
        level: 'warn',
        message: 'store.unavailable',
        details: { cause: expect.stringMatching(/ECONNREFUSED/) },
      },
    ]);
    expect(response.status).toBe(503);
    expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
    expect(response.json.data).toBeUndefined();
    expect(response.json.errors).toEqual([
      {
        message: expect.stringMatching(/database cannot be reached/),
        extensions: { code: 'SERVICE_UNAVAILABLE' },
      },
    ]);
  });

  it('answers 503 with SERVICE_UNAVAILABLE at the field when a resolver cannot read, logged as a warning', async () => {
    logged.length = 0;
    const response = await post(authenticated(), '{ viewer { kind tenant { name } } }');
    expect(response.status).toBe(503);
    expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
    expect(response.json.errors).toHaveLength(1);
    expect(response.json.errors[0].extensions).toEqual({ code: 'SERVICE_UNAVAILABLE' });
    expect(response.json.errors[0].path.slice(0, 2)).toEqual(['viewer', 'tenant']);
    expect(logged).toEqual([
      {
        level: 'warn',
        message: 'store.unavailable',
        details: { cause: expect.stringMatching(/ECONNREFUSED/) },
      },
    ]);
  });

  it('fails a mutation with 503, not with a payload error that reads as the caller’s mistake', async () => {
    const response = await post(
      authenticated(),
      'mutation($parentId: ID!) { createPolicy(input: { parentId: $parentId, name: "Sales" }) { policy { id } errors { code } } }',
      { parentId: `pol_${tenantUlid}_${ulid()}` },
    );
    expect(response.status).toBe(503);
    expect(response.json.data).toBeNull();
    expect(response.json.errors.map((e: { extensions: { code: string } }) => e.extensions.code)).toEqual([
      'SERVICE_UNAVAILABLE',
    ]);
  });
});
