/** Hostile requests get a clear, typed refusal and execute nothing. */
import { describe, expect, it } from 'vitest';
import { createTenantFixture, useTestCore } from '../support/core.ts';
import { gql } from '../support/graphql.ts';

const core = useTestCore();

describe('hostile GraphQL', () => {
  it('refuses depth, alias, cost and page-size abuse with codes, before touching data', async () => {
    const f = await createTenantFixture(core(), 'Hostile');
    const deep = `{ tenant(id: "${f.tenantId}") { rootPolicy { parent { parent { parent { parent { parent { parent { parent { parent { parent { id } } } } } } } } } } } }`;
    const aliases = `{ ${Array.from({ length: 40 }, (_, i) => `a${i}: viewer { kind }`).join(' ')} }`;
    const costly = `{ tenant(id: "${f.tenantId}") { policies(first: 100) { nodes { children(first: 100) { nodes { children(first: 100) { nodes { id } } } } } } } }`;
    const cases: [string, string, Record<string, unknown>?][] = [
      [deep, 'QUERY_TOO_DEEP'],
      [aliases, 'TOO_MANY_ALIASES'],
      [costly, 'QUERY_TOO_COSTLY'],
    ];
    for (const [query, code] of cases) {
      core().db.requests.reset();
      const result = await gql(core(), f.tenantAdminKey, query);
      expect(result.errors?.[0]?.extensions?.code).toBe(code);
      expect(result.status).toBe(400);
      expect(result.data).toBeUndefined();
      expect(core().db.requests.total()).toBeLessThanOrEqual(1); // the key lookup only
    }
    const page = await gql(
      core(),
      f.tenantAdminKey,
      `{ tenant(id: "${f.tenantId}") { policies(first: 101) { nodes { id } } } }`,
    );
    expect(page.errors?.[0]?.extensions?.code).toBe('PAGE_SIZE_TOO_LARGE');
  });

  it('refuses oversized and malformed bodies and token floods', async () => {
    const f = await createTenantFixture(core(), 'Bodies');
    const huge = await gql(core(), f.tenantAdminKey, `{ viewer { kind } } # ${'x'.repeat(300 * 1024)}`);
    expect(huge.status).toBe(413);
    const tokens = await gql(core(), f.tenantAdminKey, `{ viewer { ${'kind '.repeat(6000)} } }`);
    expect(tokens.status).toBe(400);
    expect(tokens.errors?.[0]?.message).toMatch(/token/i);
    const bad = await gql(core(), f.tenantAdminKey, '{ viewer { nope } }');
    expect(bad.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('masks unexpected errors and reports typed ones', async () => {
    const f = await createTenantFixture(core(), 'Masked');
    const result = await gql(core(), f.tenantAdminKey, '{ policy(id: "not-an-id") { id } }');
    expect(result.errors?.[0]?.extensions?.code).toBe('INVALID_ID');
    expect(JSON.stringify(result)).not.toMatch(/at .*\.ts/); // no stack traces
  });
});
