/**
 * End to end: a real HTTP request with a key, through the local runtime (API Gateway v2 events →
 * the GraphQL Lambda handler as deployed), against DynamoDB Local.
 */
import { createGraphQLHandler } from '@ade/functions/graphql';
import { type LocalServer, startLocalServer } from '@ade/local/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenantFixture, type TenantFixture, useTestCore } from '../support/core.ts';

const core = useTestCore();
let server: LocalServer;
let f: TenantFixture;

describe('GraphQL over HTTP through the local runtime', () => {
  beforeAll(async () => {
    f = await createTenantFixture(core(), 'HTTP');
    const handler = createGraphQLHandler(core());
    server = await startLocalServer({ loadHandler: async () => handler });
  });
  afterAll(() => server?.close());

  const post = (body: unknown, key?: string) =>
    fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
      body: JSON.stringify(body),
    });

  it('returns the tree for a tenant key', async () => {
    const response = await post(
      { query: '{ viewer { tenant { name rootPolicy { name children { totalCount } } } } }' },
      f.tenantAdminKey,
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/application\/json/);
    expect(response.headers.get('x-request-id')).toBeTruthy();
    expect(await response.json()).toEqual({
      data: {
        viewer: {
          tenant: { name: 'HTTP', rootPolicy: { name: 'All devices', children: { totalCount: 0 } } },
        },
      },
    });
  });

  it('answers 401 without a key, 404 off-route, and refuses CSRF-able GETs', async () => {
    expect((await post({ query: '{ viewer { kind } }' })).status).toBe(401);
    expect((await fetch(`${server.url}/nope`)).status).toBe(404);
    const get = await fetch(`${server.url}/graphql?query=${encodeURIComponent('{ viewer { kind } }')}`, {
      headers: { authorization: `Bearer ${f.tenantAdminKey}` },
    });
    expect(get.status).toBe(400); // Apollo's CSRF prevention: a simple GET without a preflight header
    const allowed = await fetch(`${server.url}/graphql?query=${encodeURIComponent('{ viewer { kind } }')}`, {
      headers: { authorization: `Bearer ${f.tenantAdminKey}`, 'apollo-require-preflight': 'true' },
    });
    expect(await allowed.json()).toEqual({ data: { viewer: { kind: 'TENANT' } } });
  });
});
