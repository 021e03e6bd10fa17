/** Hostile requests get a clear, typed refusal and execute nothing. */
import { randomBytes } from 'node:crypto';
import { encodeScopedId, runAs } from '@ade/core';
import { MAX_RESPONSE_BYTES } from '@ade/graphql';
import { getIntrospectionQuery } from 'graphql';
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

  it("refuses issue 13's amplifications: a variable's default page size, aliased introspection", async () => {
    const f = await createTenantFixture(core(), 'Amplified');
    const nested = `query($n: Int = 100) { tenant(id: "${f.tenantId}") { policies(first: $n) { nodes { children(first: $n) { nodes { children(first: $n) { nodes { id name } } } } } } } }`;
    const introspection = `{ ${Array.from({ length: 160 }, (_, i) => `s${i}: __schema { types { name fields { name } } }`).join(' ')} }`;
    const fewerCopies = `{ ${Array.from({ length: 30 }, (_, i) => `s${i}: __schema { types { name kind fields { name type { name kind } } } }`).join(' ')} }`;
    for (const [query, code] of [
      [nested, 'QUERY_TOO_COSTLY'],
      [introspection, 'TOO_MANY_ALIASES'],
      [fewerCopies, 'QUERY_TOO_COSTLY'],
    ] as const) {
      core().db.requests.reset();
      const result = await gql(core(), f.tenantAdminKey, query);
      expect(result.status, query.slice(0, 80)).toBe(400);
      expect(result.errors?.map((e) => e.extensions?.code)).toEqual([code]);
      expect(result.data).toBeUndefined();
      expect(core().db.requests.total()).toBeLessThanOrEqual(1); // the key lookup only
    }
  });

  it("answers GraphiQL's own introspection query (the explorer's schema) and suggests no field names", async () => {
    const f = await createTenantFixture(core(), 'Explorer');
    const graphiql = await gql(core(), f.tenantReadOnlyKey, getIntrospectionQuery());
    expect(graphiql.status).toBe(200);
    expect(graphiql.errors).toBeUndefined();
    const types = (graphiql.data as { __schema: { types: { name: string }[] } }).__schema.types;
    expect(types.map((t) => t.name)).toEqual(expect.arrayContaining(['Query', 'Mutation', 'Tenant']));

    const typo = await gql(core(), f.tenantReadOnlyKey, '{ viewer { knd } }');
    expect(typo.status).toBe(400);
    expect(typo.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(typo.errors?.[0]?.message).toMatch(/Cannot query field "knd"/);
    expect(typo.errors?.[0]?.message).not.toMatch(/Did you mean|"kind"/);
  });

  it('answers RESPONSE_TOO_LARGE instead of an answer Lambda cannot return', async () => {
    const f = await createTenantFixture(core(), 'Large');
    // 30 web clips with a 60 KB icon each: 1.8 MB of settings on one policy, within every limit.
    await runAs(f.tenantActor, () =>
      core().tenancy.inTenant(f.tenantId, async () => {
        for (let i = 0; i < 30; i++) {
          await core().payloads.add(f.rootPolicyId, {
            payloadType: 'com.apple.webClip.managed',
            displayName: `Clip ${i}`,
            settings: {
              URL: `https://clip-${i}.example`,
              Label: `Clip ${i}`,
              Icon: randomBytes(45_000).toString('base64'),
            },
          });
        }
      }),
    );
    const policyId = encodeScopedId(f.tenantId, f.rootPolicyId);
    const copies = (n: number) =>
      `query($id: ID!) { ${Array.from({ length: n }, (_, i) => `p${i}: policy(id: $id) { payloads { id settings } }`).join(' ')} }`;

    const two = await gql(core(), f.tenantAdminKey, copies(2), { id: policyId });
    expect(two.status).toBe(200);
    expect(two.errors).toBeUndefined();
    const size = JSON.stringify(two).length;
    expect(size).toBeGreaterThan(3_500_000);
    expect(size).toBeLessThan(MAX_RESPONSE_BYTES);

    const three = await gql(core(), f.tenantAdminKey, copies(3), { id: policyId });
    expect(three.status).toBe(200);
    expect(three.data).toBeNull();
    expect(three.errors).toEqual([
      {
        message: expect.stringMatching(/^The answer would be \d+ bytes; at most 5000000 can be returned/),
        extensions: { code: 'RESPONSE_TOO_LARGE' },
      },
    ]);
  }, 60_000);

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
